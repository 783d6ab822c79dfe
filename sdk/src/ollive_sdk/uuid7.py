"""UUIDv7 (RFC 9562 §5.7) event ids: time-ordered, so the ingest path and ClickHouse sort cheaply.

Monotonic within a process (RFC 9562 §6.2, method 2): inside one millisecond the 74 random bits
are incremented instead of redrawn, and a clock that steps back reuses the last timestamp.
"""

from __future__ import annotations

import os
import threading
import time

_RAND_BITS = 74
_RAND_MASK = (1 << _RAND_BITS) - 1
# A fresh millisecond starts with the top random bit clear, leaving 2**73 increments of headroom.
_SEED_MASK = (1 << (_RAND_BITS - 1)) - 1

_lock = threading.Lock()
_last_ms = 0
_last_rand = 0


def _reset_after_fork() -> None:
    # The parent may have held the lock mid-call; the child must not inherit its sequence either.
    global _lock, _last_ms, _last_rand
    _lock = threading.Lock()
    _last_ms = 0
    _last_rand = 0


os.register_at_fork(after_in_child=_reset_after_fork)


def uuid7_int(now_ms: int | None = None) -> int:
    """The next UUIDv7 of this process as a 128-bit integer."""
    global _last_ms, _last_rand
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    with _lock:
        if ms > _last_ms:
            _last_ms = ms
            _last_rand = int.from_bytes(os.urandom(10), "big") & _SEED_MASK
        else:
            _last_rand += 1
            if _last_rand > _RAND_MASK:  # 2**73 ids in one millisecond: borrow the next one
                _last_ms += 1
                _last_rand = int.from_bytes(os.urandom(10), "big") & _SEED_MASK
        ms, rand = _last_ms, _last_rand
    rand_a = rand >> 62
    rand_b = rand & ((1 << 62) - 1)
    return (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b


def uuid7() -> str:
    """The next UUIDv7 of this process in canonical 8-4-4-4-12 hex form."""
    h = f"{uuid7_int():032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
