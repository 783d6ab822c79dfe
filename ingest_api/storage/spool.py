"""Durable local spool: objects the store refused, fsynced before the ack, re-uploaded in order.

One file per object: a 4-byte header length, a JSON header (key, metadata), then the gzip body.
Files are written to a temp name, fsynced, renamed and the directory fsynced, so a crash leaves
either a complete file or a `.tmp` that was never acknowledged (and is deleted at startup).
"""

from __future__ import annotations

import itertools
import os
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

_SUFFIX = ".spool"


class SpoolFull(Exception):
    """The spool would pass its size limit: the caller answers 503 + Retry-After."""


@dataclass(frozen=True)
class SpooledObject:
    key: str
    metadata: dict[str, str]
    body: bytes


class Spool:
    """A directory of pending objects, oldest first by file name."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.tmp"):
            stale.unlink()
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._bytes = sum(p.stat().st_size for p in self.pending())

    @property
    def bytes(self) -> int:
        return self._bytes

    def depth(self) -> int:
        return len(self.pending())

    def has_room(self) -> bool:
        return self._bytes < self.max_bytes

    def pending(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{_SUFFIX}"))

    def write(self, objects: list[SpooledObject]) -> None:
        """Persist objects durably (fsync) or raise SpoolFull having written none of them."""
        blobs = [_encode(obj) for obj in objects]
        with self._lock:
            if self._bytes + sum(map(len, blobs)) > self.max_bytes:
                raise SpoolFull(f"spool holds {self._bytes} bytes (limit {self.max_bytes})")
            for blob in blobs:
                name = f"{time.time_ns():020d}-{next(self._seq):08d}{_SUFFIX}"
                _write_durably(self.directory / name, blob)
                self._bytes += len(blob)

    def read(self, path: Path) -> SpooledObject:
        return _decode(path.read_bytes())

    def rewrite(self, path: Path, obj: SpooledObject) -> None:
        """Replace a pending object in place (same name, so its order is kept)."""
        blob = _encode(obj)
        with self._lock:
            old = path.stat().st_size
            _write_durably(path, blob)
            self._bytes += len(blob) - old

    def remove(self, path: Path) -> None:
        with self._lock:
            size = path.stat().st_size
            path.unlink()
            _fsync_dir(self.directory)
            self._bytes -= size


def _encode(obj: SpooledObject) -> bytes:
    header = orjson.dumps({"key": obj.key, "metadata": obj.metadata})
    return struct.pack(">I", len(header)) + header + obj.body


def _decode(blob: bytes) -> SpooledObject:
    (length,) = struct.unpack(">I", blob[:4])
    header = orjson.loads(blob[4 : 4 + length])
    return SpooledObject(header["key"], header["metadata"], blob[4 + length :])


def _write_durably(path: Path, blob: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(blob)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
