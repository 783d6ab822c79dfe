"""Opt-in durable mode: a bounded on-disk spool of gzip NDJSON batches the ingest API has not
acknowledged yet, re-sent by whichever process with the same spool directory starts next.

One file per batch, named `<uuid7>.<count>.ndjson.gz` so the name sorts by age and tells the
event count without reading it. A sender claims a file by renaming it, so processes sharing a
directory (forked workers, a restarted service) never send the same file concurrently.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ollive_sdk.uuid7 import uuid7

_SUFFIX = ".ndjson.gz"
_CLAIM = ".claim-"


class Spool:
    """A directory of unsent batches, bounded by total bytes."""

    def __init__(self, directory: str | os.PathLike[str], max_bytes: int) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._release_stale_claims()

    def _release_stale_claims(self) -> None:
        """Files claimed by processes that died mid-send go back into the spool."""
        for path in self.dir.glob(f"*{_SUFFIX}{_CLAIM}*"):
            pid_text = path.name.rsplit(_CLAIM, 1)[1]
            if pid_text.isdigit() and _alive(int(pid_text)):
                continue
            with contextlib.suppress(OSError):
                path.rename(path.with_name(path.name.rsplit(_CLAIM, 1)[0]))

    def size_bytes(self) -> int:
        total = 0
        for path in self.dir.iterdir():
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total

    def write(self, body: bytes, count: int) -> bool:
        """Persist one batch (fsynced); False when the spool is full."""
        if self.size_bytes() + len(body) > self.max_bytes:
            return False
        final = self.dir / f"{uuid7()}.{count}{_SUFFIX}"
        tmp = final.with_name(final.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        return True

    def pending(self) -> list[Path]:
        """Unclaimed batches, oldest first."""
        return sorted(p for p in self.dir.glob(f"*{_SUFFIX}"))

    def claim(self, path: Path) -> Path | None:
        """Take `path` for sending; None when another process got it first."""
        claimed = path.with_name(f"{path.name}{_CLAIM}{os.getpid()}")
        try:
            path.rename(claimed)
        except OSError:
            return None
        return claimed

    def release(self, claimed: Path) -> None:
        """Give a claimed batch back (its send failed and will be retried)."""
        with contextlib.suppress(OSError):
            claimed.rename(claimed.with_name(claimed.name.rsplit(_CLAIM, 1)[0]))

    @staticmethod
    def count(path: Path) -> int:
        try:
            return int(path.name.split(".")[1])
        except (IndexError, ValueError):
            return 0

    @staticmethod
    def remove(claimed: Path) -> None:
        with contextlib.suppress(OSError):
            claimed.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
