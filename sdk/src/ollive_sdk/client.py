"""The client: configuration, the spans it opens, and the transport its events go through.

A disabled client (no endpoint or key, or `enabled=False`) hands out no-op spans: the host code
stays the same whether telemetry is on or off. Every event it emits is placed in a trace
(`tracing.py`) and kept or dropped with its whole trace (`sampling.py`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from ollive_sdk import context as ctx
from ollive_sdk import tool_calls, tracing
from ollive_sdk._limits import ID_MAX_CHARS, SCORE_AUTHOR_KINDS
from ollive_sdk._log import warn_once
from ollive_sdk._version import SDK_NAME, __version__
from ollive_sdk.blocks import KIND_KEY, SPAN_LOGGER, BlockSpan, Traced
from ollive_sdk.config import Config
from ollive_sdk.http_sender import HttpSender
from ollive_sdk.spans import InferenceSpan, ToolSpan, preview
from ollive_sdk.spool import Spool
from ollive_sdk.stats import Stats, StatsSnapshot
from ollive_sdk.tracing import SpanContext
from ollive_sdk.transport import Transport
from ollive_sdk.uuid7 import uuid7

_LEVELS = ("debug", "info", "warning", "error", "critical")
F = TypeVar("F", bound=Callable[..., Any])


class Client:
    """Entry point of the SDK. Arguments override `OLLIVE_*` environment variables."""

    def __init__(self, *, environ: Mapping[str, str] | None = None, **options: Any) -> None:
        self._stats = Stats()
        self._transport: Transport | None = None
        try:
            self.config = Config.resolve(environ, **options)
            if self.config.active:
                self._transport = self._build_transport(self.config)
            elif self.config.enabled:
                warn_once("disabled", "ollive: no endpoint or API key; telemetry is off")
        except Exception as e:  # a misconfiguration must not take the host down
            warn_once("init", "ollive: client disabled: %r", e)
            self.config = Config(enabled=False)
        self._common = {
            "service": self.config.service,
            "environment": self.config.environment,
            "sdk_name": SDK_NAME,
            "sdk_version": __version__,
        }

    def _build_transport(self, config: Config) -> Transport:
        sender = HttpSender(
            config.endpoint or "",
            config.api_key or "",
            config.request_timeout_s,
            user_agent=f"{SDK_NAME}/{__version__}",
        )
        spool = Spool(config.spool_dir, config.spool_max_bytes) if config.spool_dir else None
        return Transport(sender, config.transport, self._stats, config.mask, spool)

    @property
    def enabled(self) -> bool:
        return self._transport is not None

    # ----- events -----

    def _place(self, traceparent: str | None = None) -> SpanContext | None:
        """Where a new event sits in its trace; None when the client is off."""
        if self._transport is None:
            return None
        remote = tracing.parse_traceparent(traceparent) if traceparent else None
        if traceparent and remote is None:
            warn_once("traceparent", "ollive: ignoring invalid traceparent %r", traceparent[:64])
        return tracing.open_span(self.config.sample_rate, remote)

    def _new_event(self, log_type: str, span: SpanContext | None) -> dict[str, Any] | None:
        """A fresh event with the common fields, or None when off or sampled out."""
        if span is None:
            return None
        if not span.sampled:
            self._stats.add("sampled_out")
            return None
        event = {
            "event_id": uuid7(),
            "log_type": log_type,
            **self._common,
            "trace_id": span.trace_id,
            "span_id": span.span_id,
            "parent_span_id": span.parent_span_id,
            "sample_rate": span.sample_rate,
        }
        event.update(ctx.current())
        return event

    def _emit(self, event: dict[str, Any]) -> None:
        if self._transport is not None:
            self._transport.enqueue(event)

    def inference(
        self,
        *,
        provider: str,
        model: str,
        operation: str = "chat",
        stream: bool = False,
        input: Any = None,
        request_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> InferenceSpan:
        """A span around one model call: `with client.inference(...) as span:`."""
        try:
            place = self._place()
            event = self._new_event("inference", place)
            if event is None:
                return InferenceSpan(None, {}, context=place)
            event.update(provider=provider, model=model, operation=operation, stream=stream)
            if request_id is not None:
                event["request_id"] = request_id
            if metadata:
                event["metadata"] = dict(metadata)
            span = InferenceSpan(self._emit, event, self.config.capture_previews, place)
            if input is not None:
                span.set_input(input)
            return span
        except Exception as e:
            warn_once("inference", "ollive: could not open a span: %r", e)
            return InferenceSpan(None, {})

    def tool(
        self,
        name: str,
        *,
        call_id: str | None = None,
        arguments: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ToolSpan:
        """A span around one tool execution: `with client.tool("search") as span:`.

        `call_id` is the model's function-call id; without it, the id of the call this run
        answers is taken from `tool_call_id(...)` or the model call before it (`tool_calls.py`).
        """
        try:
            place = self._place()
            if call_id is None and place is not None:
                call_id = tool_calls.claim(name)
            event = self._new_event("tool_execution", place)
            if event is None:
                return ToolSpan(None, {}, context=place)
            event["tool_name"] = name
            if call_id is not None:
                event["tool_call_id"] = call_id
            if metadata:
                event["metadata"] = dict(metadata)
            span = ToolSpan(self._emit, event, self.config.capture_previews, place)
            if arguments is not None:
                span.set_arguments(arguments)
            return span
        except Exception as e:
            warn_once("tool", "ollive: could not open a span: %r", e)
            return ToolSpan(None, {})

    def log(
        self,
        level: str,
        message: str,
        *,
        logger: str = "root",
        exception: BaseException | None = None,
        exception_stack: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        started_at: float | None = None,
    ) -> None:
        """Emit one `application` event (the logging handler's path, usable directly)."""
        try:
            event = self._new_event("application", self._place())
            if event is None:
                return
            level = level.lower()
            event.update(
                level=level if level in _LEVELS else "info",
                logger=logger or "root",
                message=message,
                started_at=time.time() if started_at is None else started_at,
            )
            if exception is not None:
                event["exception_type"] = type(exception).__name__
                event["exception_message"] = str(exception)
            if exception_stack:
                event["exception_stack"] = exception_stack
            if metadata:
                event["metadata"] = dict(metadata)
            self._emit(event)
        except Exception as e:
            warn_once("log", "ollive: could not record a log event: %r", e)

    def score(
        self,
        name: str,
        value: bool | float | str,
        *,
        event_id: Any = None,
        trace_id: str | None = None,
        conversation_id: str | None = None,
        comment: str | None = None,
        author_kind: str = "user",
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Emit one `score` event: feedback on an event, a trace or a conversation (at least one
        target), now or long after. Never sampled out: a score is kept whatever its target's
        trace was."""
        try:
            if self._transport is None:
                return
            if isinstance(value, bool):
                pass
            elif isinstance(value, (int, float)) and math.isfinite(value):
                value = float(value)
            elif isinstance(value, str) and value:
                value = value[:ID_MAX_CHARS]
            else:
                warn_once("score-value", "ollive: score %r dropped: bad value", name)
                return
            if event_id is None and not trace_id and not conversation_id:
                warn_once("score-target", "ollive: score %r dropped: no target", name)
                return
            place = self._place()
            event = {
                "event_id": uuid7(),
                "log_type": "score",
                **self._common,
                "trace_id": place.trace_id if place else None,
                "span_id": place.span_id if place else None,
                "parent_span_id": place.parent_span_id if place else None,
                "sample_rate": 1.0,
                **ctx.current(),
                "started_at": time.time(),
                "name": name,
                "value": value,
                "author_kind": author_kind if author_kind in SCORE_AUTHOR_KINDS else "system",
                "target_event_id": str(event_id) if event_id is not None else None,
                "target_trace_id": trace_id,
                "target_conversation_id": conversation_id,
                "comment": comment,
            }
            if metadata:
                event["metadata"] = dict(metadata)
            self._emit(event)
        except Exception as e:
            warn_once("score", "ollive: could not record a score: %r", e)

    @overload
    def trace(self, name: F, /) -> F: ...
    @overload
    def trace(
        self,
        name: str | None = None,
        *,
        kind: str = "trace",
        metadata: Mapping[str, Any] | None = None,
        traceparent: str | None = None,
    ) -> Traced: ...

    def trace(
        self,
        name: Any = None,
        *,
        kind: str = "trace",
        metadata: Mapping[str, Any] | None = None,
        traceparent: str | None = None,
    ) -> Any:
        """A unit of work (a request, a chat turn, an agent run): `with client.trace("turn"):`
        or `@client.trace`. It starts a trace where no span is active and nests under the
        current one otherwise; `traceparent` (a W3C header) continues a trace from elsewhere."""
        if callable(name):
            return Traced(self._block, None, kind)(name)
        return Traced(self._block, name, kind, metadata, traceparent)

    @overload
    def span(self, name: F, /) -> F: ...
    @overload
    def span(
        self,
        name: str | None = None,
        *,
        kind: str = "span",
        metadata: Mapping[str, Any] | None = None,
    ) -> Traced: ...

    def span(
        self, name: Any = None, *, kind: str = "span", metadata: Mapping[str, Any] | None = None
    ) -> Any:
        """A step inside a trace (`kind="agent"`, `"step"`, …): `with client.span("plan"):` or
        `@client.span`; the parent of everything emitted inside it."""
        if callable(name):
            return Traced(self._block, None, kind)(name)
        return Traced(self._block, name, kind, metadata)

    def _block(
        self, name: str, kind: str, metadata: Mapping[str, Any] | None, traceparent: str | None
    ) -> BlockSpan:
        try:
            place = self._place(traceparent)
            event = self._new_event("application", place)
            if event is None:
                return BlockSpan(None, {}, context=place)
            event.update(logger=SPAN_LOGGER, message=name, level="info")
            event["metadata"] = {**(metadata or {}), KIND_KEY: kind}
            return BlockSpan(self._emit, event, self.config.capture_previews, place)
        except Exception as e:
            warn_once("block", "ollive: could not open a span: %r", e)
            return BlockSpan(None, {})

    # ----- lifecycle -----

    def flush(self, timeout: float | None = None) -> bool:
        """Block until queued events are delivered (or counted); call it before a serverless
        function returns. True when everything queued before the call left memory in time."""
        if self._transport is None:
            return True
        try:
            return self._transport.flush(timeout)
        except Exception as e:
            warn_once("flush", "ollive: flush failed: %r", e)
            return False

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush within `timeout` seconds and stop; leftovers are spooled or counted dropped."""
        if self._transport is None:
            return True
        try:
            return self._transport.shutdown(timeout)
        except Exception as e:
            warn_once("shutdown", "ollive: shutdown failed: %r", e)
            return False

    def stats(self) -> StatsSnapshot:
        """Counters: enqueued, sent, retried, sampled out, and dropped by reason."""
        if self._transport is None:
            return self._stats.snapshot()
        return self._transport.stats()


_default: Client | None = None
_default_lock = threading.Lock()


def init(**options: Any) -> Client:
    """Create the process-wide client used by `tool_traced`, the log handler and integrations."""
    global _default
    client = Client(**options)
    with _default_lock:
        previous, _default = _default, client
    if previous is not None:
        previous.shutdown()
    return client


def get_client() -> Client:
    """The process-wide client; made from the environment on first use when `init` was not
    called."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Client()
    return _default


__all__ = ["Client", "get_client", "init", "preview"]
