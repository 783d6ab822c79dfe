"""`trace()` and `span()`: a named block of work (a chat turn, an agent step), used as a context
manager or as a decorator of sync and async functions.

A block is the parent of everything emitted inside it, and is recorded as one `application`
event, so the tree has its inner nodes with the contract as it is: `logger` is `ollive.span`,
`message` the block's name, `metadata` holds `ollive.span.kind` and `ollive.span.status`, the
duration is `finished_at - started_at`, and a block that raised is level `error` with the
exception's type and message.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ollive_sdk import tool_calls
from ollive_sdk.spans import Span

SPAN_LOGGER = "ollive.span"
KIND_KEY = "ollive.span.kind"
STATUS_KEY = "ollive.span.status"
_LEVELS = {"ok": "info", "cancelled": "warning"}

F = TypeVar("F", bound=Callable[..., Any])
# (name, kind, metadata, traceparent) -> an open block; the client's `_block`
Opener = Callable[[str, str, "Mapping[str, Any] | None", "str | None"], "BlockSpan"]


class BlockSpan(Span):
    """One block of work; `set_metadata` adds to its event."""

    __slots__ = ()

    def end(self, exc: BaseException | None = None) -> None:
        super().end(exc)
        if self._context is not None:
            tool_calls.hand_up(self._context)

    def _finished(self, event: dict[str, Any]) -> dict[str, Any]:
        status = event.pop("status", "ok")
        code = event.pop("error_code", None)
        message = event.pop("error_message", None)
        event.pop("latency_ms", None)  # an application event has none: finished_at - started_at
        event["level"] = _LEVELS.get(status, "error")
        event.setdefault("metadata", {})[STATUS_KEY] = status
        if code is not None:
            event["exception_type"] = code
        if message is not None:
            event["exception_message"] = message
        return event


class Traced:
    """What `trace()` and `span()` return: enter it once, or decorate functions with it (each
    call is then a block of its own, named after the function unless a name was given)."""

    __slots__ = ("_kind", "_metadata", "_name", "_open", "_span", "_traceparent")

    def __init__(
        self,
        open_block: Opener,
        name: str | None,
        kind: str,
        metadata: Mapping[str, Any] | None = None,
        traceparent: str | None = None,
    ) -> None:
        self._open = open_block
        self._name = name
        self._kind = kind
        self._metadata = metadata
        self._traceparent = traceparent
        self._span: BlockSpan | None = None

    def __enter__(self) -> BlockSpan:
        self._span = self._open(self._name or self._kind, self._kind, self._metadata,
                                self._traceparent)  # fmt: skip
        return self._span.__enter__()

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        span, self._span = self._span, None
        return span.__exit__(exc_type, exc, tb) if span is not None else False

    async def __aenter__(self) -> BlockSpan:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        return self.__exit__(exc_type, exc, tb)

    def __call__(self, fn: F) -> F:
        name = self._name or getattr(fn, "__qualname__", None) or self._kind
        args = (name, self._kind, self._metadata, self._traceparent)
        open_block = self._open

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def traced_async(*a: Any, **kw: Any) -> Any:
                with open_block(*args):
                    return await fn(*a, **kw)

            return traced_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def traced(*a: Any, **kw: Any) -> Any:
            with open_block(*args):
                return fn(*a, **kw)

        return traced  # type: ignore[return-value]
