"""`OlliveLogHandler`: ships standard `logging` records as `application` events."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from ollive_sdk.client import Client, get_client

# Attributes every LogRecord has; anything else came from `extra=` and becomes metadata.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_LEVELS = ((logging.CRITICAL, "critical"), (logging.ERROR, "error"), (logging.WARNING, "warning"),
           (logging.INFO, "info"))  # fmt: skip


def level_name(levelno: int) -> str:
    """Custom levels map to the nearest standard level below them."""
    for threshold, name in _LEVELS:
        if levelno >= threshold:
            return name
    return "debug"


class OlliveLogHandler(logging.Handler):
    """Attach to any logger: `logging.getLogger().addHandler(OlliveLogHandler())`."""

    def __init__(self, client: Client | None = None, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self._client = client

    def emit(self, record: logging.LogRecord) -> None:
        # The SDK's own warnings would loop back through this handler.
        if record.name == "ollive_sdk" or record.name.startswith("ollive_sdk."):
            return
        try:
            client = self._client or get_client()
            if not client.enabled:
                return
            stack = None
            exc = None
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                stack = "".join(traceback.format_exception(*record.exc_info))
            elif record.stack_info:
                stack = record.stack_info
            client.log(
                level_name(record.levelno),
                record.getMessage(),
                logger=record.name,
                exception=exc,
                exception_stack=stack,
                metadata=_extra(record),
                started_at=record.created,
            )
        except Exception:
            self.handleError(record)


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    extra = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
    extra.setdefault("code.function.name", record.funcName)
    extra.setdefault("code.line.number", record.lineno)
    return extra
