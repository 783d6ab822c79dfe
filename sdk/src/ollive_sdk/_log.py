"""The SDK's own trouble, logged at most once per interval per kind so a dead endpoint cannot
flood the host's logs."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

logger = logging.getLogger("ollive_sdk")
_INTERVAL_S = 60.0
_last: dict[str, float] = {}
_lock = threading.Lock()


def warn_once(key: str, message: str, *args: object, interval_s: float = _INTERVAL_S) -> None:
    """Log a warning unless the same `key` was logged less than `interval_s` ago."""
    now = time.monotonic()
    with _lock:
        last = _last.get(key)
        if last is not None and now - last < interval_s:
            return
        _last[key] = now
    # A broken host handler must not break the SDK either.
    with contextlib.suppress(Exception):
        logger.warning(message, *args)
