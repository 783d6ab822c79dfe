"""Inference and tool spans: context managers that time a block and emit one event when it ends.

A span never raises into the host and never swallows the host's exception: `__exit__` records the
status (`cancelled` for `asyncio.CancelledError`, `timeout` for timeouts, else `error`) and
returns False so the exception propagates untouched. Inside its `with` block a span is the
current span, so whatever is emitted there (a model call inside a tool, a log line) is its child.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import reprlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ollive_sdk import tool_calls, tracing
from ollive_sdk._limits import PREVIEW_MAX_CHARS
from ollive_sdk._log import warn_once
from ollive_sdk.tracing import SpanContext

_CANCELLED = (asyncio.CancelledError, GeneratorExit, KeyboardInterrupt)
_TIMEOUTS = (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError)

_S = TypeVar("_S", bound="Span")

_repr = reprlib.Repr()
_repr.maxstring = PREVIEW_MAX_CHARS
_repr.maxother = PREVIEW_MAX_CHARS
_repr.maxlevel = 4
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 20


def preview(value: Any) -> str | None:
    """Bounded text of any value: cut to one char past the limit so the encoder marks the cut."""
    if value is None:
        return None
    try:
        text = value if isinstance(value, str) else _repr.repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text[: PREVIEW_MAX_CHARS + 1]


def classify(exc: BaseException) -> str:
    """The contract status for an exception that ended a span."""
    if isinstance(exc, _CANCELLED):
        return "cancelled"
    if isinstance(exc, _TIMEOUTS) or "Timeout" in type(exc).__name__:
        return "timeout"
    return "error"


class Span:
    """Shared timing, status and metadata of inference and tool spans.

    `emit` is the client's enqueue; `None` makes the span a no-op (disabled or sampled out).
    `context` places it in its trace; a sampled-out span keeps one, so that what runs inside it
    is dropped with it and a trace is never kept in part.
    """

    __slots__ = ("_context", "_done", "_emit", "_event", "_t0", "_token", "capture_previews")

    def __init__(
        self,
        emit: Callable[[dict[str, Any]], Any] | None,
        event: dict[str, Any],
        capture_previews: bool = True,
        context: SpanContext | None = None,
    ) -> None:
        self._emit = emit
        self._event = event
        self._t0 = 0.0
        self._done = False
        self._context = context
        self._token: contextvars.Token[SpanContext | None] | None = None
        self.capture_previews = capture_previews

    @property
    def event_id(self) -> str | None:
        """The id the event will carry (None when not recorded), for correlating feedback."""
        return self._event.get("event_id")

    @property
    def recording(self) -> bool:
        return self._emit is not None

    @property
    def span_context(self) -> SpanContext | None:
        """Trace id, span id, parent and sampling verdict (None when the client is off)."""
        return self._context

    @property
    def trace_id(self) -> str | None:
        return self._context.trace_id if self._context is not None else None

    @property
    def span_id(self) -> str | None:
        return self._context.span_id if self._context is not None else None

    def start(self: _S) -> _S:
        self._event["started_at"] = time.time()
        self._t0 = time.perf_counter()
        return self

    def __enter__(self: _S) -> _S:
        if not self._t0:
            self.start()
        if self._context is not None and self._token is None:
            self._token = tracing.activate(self._context)
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        try:
            self.end(exc)
        finally:
            if self._token is not None:
                tracing.deactivate(self._token)
                self._token = None
        return False

    async def __aenter__(self: _S) -> _S:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        return self.__exit__(exc_type, exc, tb)

    def end(self, exc: BaseException | None = None) -> None:
        """Finish the span once (later calls do nothing) and hand the event to the transport."""
        if self._done:
            return
        self._done = True
        if self._emit is None:
            return
        try:
            ev = self._event
            if not self._t0:
                self.start()
            latency_ms = (time.perf_counter() - self._t0) * 1000.0
            ev["latency_ms"] = latency_ms
            ev["finished_at"] = ev["started_at"] + latency_ms / 1000.0
            if exc is not None:
                ev["status"] = classify(exc)
                ev.setdefault("error_code", type(exc).__name__)
                ev.setdefault("error_message", preview(str(exc)) or None)
            else:
                ev.setdefault("status", "ok")
            self._emit(self._finished(ev))
        except Exception as e:
            warn_once("span", "ollive: could not record a span: %r", e)

    def _finished(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event to emit, given the timed one (a subclass may reshape it)."""
        return event

    def set_status(self, status: str, code: str | None = None, message: str | None = None) -> None:
        """Mark an outcome that raised nothing (e.g. a refusal returned as data)."""
        self._event["status"] = status
        if code is not None:
            self._event["error_code"] = code
        if message is not None:
            self._event["error_message"] = preview(message)

    def set_metadata(self, key: str, value: Any) -> None:
        self._event.setdefault("metadata", {})[key] = value

    def update_metadata(self, **values: Any) -> None:
        self._event.setdefault("metadata", {}).update(values)


class InferenceSpan(Span):
    """One model call; fill in what the response tells you before the block ends."""

    __slots__ = ()

    def set_input(self, value: Any) -> None:
        if self.capture_previews:
            self._event["input_preview"] = preview(value)

    def set_output(self, value: Any) -> None:
        if self.capture_previews:
            self._event["output_preview"] = preview(value)

    def set_usage(
        self,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cached_input_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> None:
        """Token counts per OTel: input includes cached, output includes reasoning."""
        for key, value in (
            ("input_tokens", input_tokens),
            ("output_tokens", output_tokens),
            ("cached_input_tokens", cached_input_tokens),
            ("reasoning_tokens", reasoning_tokens),
        ):
            if value is not None:
                self._event[key] = value

    def set_finish_reason(self, reason: str | None) -> None:
        if reason:
            self._event["finish_reason"] = reason

    def set_response_model(self, model: str | None) -> None:
        if model:
            self._event["response_model"] = model

    def set_cost(self, usd: float) -> None:
        self._event["cost_usd"] = usd

    def add_tool_call(self, name: str, id: str | None = None, arguments: Any = None) -> None:
        """A function call the model asked for; with an `id`, the tool run that follows under
        the same span carries it as `tool_call_id`."""
        call = {"name": name, "id": id}
        if self.capture_previews and arguments is not None:
            call["arguments_preview"] = preview(arguments)
        self._event.setdefault("tool_calls", []).append(call)
        if id and self._context is not None:
            tool_calls.expect(self._context.parent, name, id)

    def first_chunk(self) -> None:
        """Call on each streamed chunk; the first call sets time to first chunk."""
        if "ttft_ms" not in self._event and self._t0:
            self._event["ttft_ms"] = (time.perf_counter() - self._t0) * 1000.0


class ToolSpan(Span):
    """One tool execution."""

    __slots__ = ()

    def set_arguments(self, value: Any) -> None:
        if self.capture_previews:
            self._event["arguments_preview"] = preview(value)

    def set_result(self, value: Any) -> None:
        if self.capture_previews:
            self._event["result_preview"] = preview(value)
