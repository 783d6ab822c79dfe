"""HTTP body compression: streaming decoders for `Content-Encoding` on requests and encoders
for `Accept-Encoding` on responses (when `enable_http_compression=1`, as in ClickHouse).

clickhouse-connect compresses inserts with lz4 by default (then zstd, gzip), one frame per
block, so the frame decoders read concatenated frames.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import lz4.frame
from backports import zstd

from clickhouse_server import errors

# Preference when the client accepts several: cheapest first (loopback is CPU-bound).
RESPONSE_ENCODINGS = ("lz4", "zstd", "gzip", "deflate")


class Decoder(Protocol):
    def decode(self, chunk: bytes) -> bytes: ...
    def finish(self) -> bytes: ...


class _Identity:
    def decode(self, chunk: bytes) -> bytes:
        return chunk

    def finish(self) -> bytes:
        return b""


class _Zlib:
    def __init__(self) -> None:
        self._d = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected

    def decode(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            out.append(self._d.decompress(chunk))
            if not self._d.eof:
                break
            chunk = self._d.unused_data  # another gzip member follows
            self._d = zlib.decompressobj(zlib.MAX_WBITS | 32)
        return b"".join(out)

    def finish(self) -> bytes:
        return self._d.flush()


class _Frames:
    """Concatenated lz4 or zstd frames."""

    def __init__(self, factory) -> None:
        self._factory = factory
        self._d = factory()

    def decode(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            out.append(self._d.decompress(chunk))
            if not self._d.eof:
                break
            chunk = self._d.unused_data
            self._d = self._factory()
        return b"".join(out)

    def finish(self) -> bytes:
        return b""


def decoder(content_encoding: str | None) -> Decoder:
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity", "none"):
        return _Identity()
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Zlib()
    if encoding == "zstd":
        return _Frames(zstd.ZstdDecompressor)
    if encoding == "lz4":
        return _Frames(lz4.frame.LZ4FrameDecompressor)
    raise errors.ClickHouseError(
        errors.CANNOT_DECOMPRESS, f"Unknown Content-Encoding of HTTP request: {encoding}"
    )


def decode_error(exc: Exception) -> errors.ClickHouseError:
    return errors.ClickHouseError(
        errors.CANNOT_DECOMPRESS, f"Cannot decompress the request body: {exc}"
    )


class Encoder(Protocol):
    name: str

    def encode(self, chunk: bytes) -> bytes: ...
    def finish(self) -> bytes: ...


class _Lz4Encoder:
    name = "lz4"

    def __init__(self) -> None:
        self._c = lz4.frame.LZ4FrameCompressor(auto_flush=True)
        self._started = False

    def encode(self, chunk: bytes) -> bytes:
        head = b""
        if not self._started:
            self._started = True
            head = self._c.begin()
        return head + self._c.compress(chunk)

    def finish(self) -> bytes:
        head = b"" if self._started else self._c.begin()
        return head + self._c.flush()


class _ZstdEncoder:
    name = "zstd"

    def __init__(self) -> None:
        self._c = zstd.ZstdCompressor()

    def encode(self, chunk: bytes) -> bytes:
        return self._c.compress(chunk, zstd.ZstdCompressor.FLUSH_BLOCK)

    def finish(self) -> bytes:
        return self._c.flush(zstd.ZstdCompressor.FLUSH_FRAME)


class _ZlibEncoder:
    def __init__(self, name: str, wbits: int, level: int) -> None:
        self.name = name
        self._c = zlib.compressobj(level, zlib.DEFLATED, wbits)

    def encode(self, chunk: bytes) -> bytes:
        return self._c.compress(chunk) + self._c.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._c.flush()


def encoder(accept_encoding: str | None, zlib_level: int = 3) -> Encoder | None:
    """The response encoder for the client's `Accept-Encoding`, or None for identity."""
    offered = {part.split(";")[0].strip().lower() for part in (accept_encoding or "").split(",")}
    for name in RESPONSE_ENCODINGS:
        if name in offered:
            if name == "lz4":
                return _Lz4Encoder()
            if name == "zstd":
                return _ZstdEncoder()
            return _ZlibEncoder(name, 31 if name == "gzip" else 15, zlib_level)
    return None
