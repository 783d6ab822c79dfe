"""Retry delays: exponential backoff with full jitter, never shorter than the server's
`Retry-After` (AWS Architecture Blog, "Exponential Backoff and Jitter")."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_S = 300.0


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        seconds = when - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def delay(attempt: int, base_s: float, cap_s: float, retry_after_s: float | None = None) -> float:
    """Delay before retry number `attempt` (1-based)."""
    jittered = random.uniform(0.0, min(cap_s, base_s * 2 ** min(attempt - 1, 32)))
    if retry_after_s is None:
        return jittered
    # Honour the server's floor; the jitter on top spreads clients the header would synchronise.
    return retry_after_s + jittered * 0.1
