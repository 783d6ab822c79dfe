"""Request body decoding: size limits, streaming gunzip that stops a bomb mid-inflate, formats.

Accepted: a JSON array, `{"events": [...]}`, or NDJSON (one event per line), each optionally
`Content-Encoding: gzip`. Every refusal is a `BodyError` carrying its HTTP status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from isal import isal_zlib

JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/jsonlines"}
)
_INFLATE_STEP = 256 * 1024


class BodyError(Exception):
    """A request body refused as a whole."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)  # all three, so it pickles across processes
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RawEvent:
    """One item of the batch before validation: parsed JSON, its raw NDJSON line, or why not.

    NDJSON lines stay bytes: pydantic validates them straight from JSON, which costs about
    half of parsing to Python objects first; a line it refuses is parsed again to say why.
    """

    value: Any
    parse_error: str | None = None
    line: bytes | None = None


async def read_limited(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """Read the body as sent, refusing it as soon as it passes `limit` bytes."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise BodyError(413, "body_too_large", f"request body exceeds {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def gunzip_limited(data: bytes, limit: int) -> bytes:
    """Inflate gzip (several members allowed), stopping once output would pass `limit` bytes.

    ISA-L's inflate (zlib's interface) takes about half of zlib's CPU on request bodies.
    """
    out: list[bytes] = []
    size = 0
    pending = data
    try:
        while pending:
            inflater = isal_zlib.decompressobj(wbits=16 + isal_zlib.MAX_WBITS)
            buf = pending
            while buf:
                # max_length bounds each step, so a bomb never materialises beyond the limit
                piece = inflater.decompress(buf, _INFLATE_STEP)
                size += len(piece)
                if size > limit:
                    raise BodyError(
                        413, "decompressed_too_large", f"decompressed body exceeds {limit} bytes"
                    )
                out.append(piece)
                buf = inflater.unconsumed_tail
            if not inflater.eof:
                raise BodyError(400, "bad_gzip", "gzip stream is truncated")
            pending = inflater.unused_data
    except isal_zlib.error as exc:
        raise BodyError(400, "bad_gzip", "body is not valid gzip") from exc
    return b"".join(out)


def decode(body: bytes, content_encoding: str | None, decompressed_limit: int) -> bytes:
    """Undo the content encoding (identity or gzip) within the decompressed-size limit."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return gunzip_limited(body, decompressed_limit)
    if encoding != "identity":
        raise BodyError(415, "unsupported_encoding", "Content-Encoding must be gzip or identity")
    if len(body) > decompressed_limit:
        raise BodyError(413, "decompressed_too_large", "body exceeds the decompressed limit")
    return body


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_events(data: bytes, content_type: str | None, max_events: int) -> list[RawEvent]:
    """Split a decoded body into raw events according to its media type."""
    kind = media_type(content_type)
    if kind in JSON_TYPES:
        items = _parse_json(data)
    elif kind in NDJSON_TYPES:
        items = _parse_ndjson(data)
    else:
        raise BodyError(
            415,
            "unsupported_media_type",
            "Content-Type must be application/json or application/x-ndjson",
        )
    if not items:
        raise BodyError(400, "empty_batch", "the request holds no events")
    if len(items) > max_events:
        raise BodyError(413, "too_many_events", f"at most {max_events} events per request")
    return items


def _parse_json(data: bytes) -> list[RawEvent]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BodyError(400, "bad_json", "body is not valid JSON (or not UTF-8)") from exc
    if isinstance(doc, dict) and isinstance(doc.get("events"), list):
        doc = doc["events"]
    if not isinstance(doc, list):
        raise BodyError(400, "bad_shape", 'body must be a JSON array or {"events": [...]}')
    return [RawEvent(item) for item in doc]


def _parse_ndjson(data: bytes) -> list[RawEvent]:
    return [RawEvent(None, line=line) for line in data.split(b"\n") if line.strip()]


BAD_JSON_LINE = "line is not valid JSON (or not UTF-8)"


def parse_line(line: bytes) -> RawEvent:
    """The line as a parsed item (for a line that did not validate straight from JSON)."""
    try:
        return RawEvent(orjson.loads(line))
    except orjson.JSONDecodeError:
        return RawEvent(None, BAD_JSON_LINE)
