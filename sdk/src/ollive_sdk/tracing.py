"""The current span, carried by `contextvars`, and the W3C trace context of new spans.

Every event the SDK emits is a node of a trace tree: it gets a span id of its own and, as
parent, the span current where it was opened: an Ollive block (`trace()`, `span()`, a tool or
inference span), else an active OpenTelemetry span, else none, and the event starts a trace.
The sampling verdict is reached where a trace starts and inherited by everything under it.
asyncio tasks copy the current span with the rest of the context; plain threads need
`propagate(fn)`, as for the ids of `context()`.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import random
import re
from dataclasses import dataclass
from typing import Any

from ollive_sdk import otel, sampling

# A private generator: a host calling `random.seed(...)` must not make two processes share ids.
_rng = random.Random()
os.register_at_fork(after_in_child=_rng.seed)

_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


def new_trace_id() -> str:
    """32 lowercase hex digits, never all zero (W3C Trace Context)."""
    while True:
        n = _rng.getrandbits(128)
        if n:
            return f"{n:032x}"


def new_span_id() -> str:
    """16 lowercase hex digits, never all zero."""
    while True:
        n = _rng.getrandbits(64)
        if n:
            return f"{n:016x}"


@dataclass(slots=True, eq=False)
class SpanContext:
    """Where one span sits: its trace, its ids, its parent, and the trace's sampling verdict."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    sampled: bool
    sample_rate: float
    parent: SpanContext | None = None  # the in-process parent; None at a root
    tool_calls: Any = None  # function calls waiting for their tool run (see `tool_calls.py`)

    @property
    def traceparent(self) -> str:
        """The W3C `traceparent` header that continues this trace in another process."""
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"


_current: contextvars.ContextVar[SpanContext | None] = contextvars.ContextVar(
    "ollive_span", default=None
)


def current() -> SpanContext | None:
    """The Ollive span in effect here, if any."""
    return _current.get()


def parse_traceparent(header: str) -> tuple[str, str] | None:
    """(trace id, parent span id) of a W3C `traceparent` header, or None when it is invalid."""
    match = _TRACEPARENT.fullmatch(header.strip())
    if match is None or match[1] == "ff" or match[2] == _ZERO_TRACE or match[3] == _ZERO_SPAN:
        return None
    return match[2], match[3]


def open_span(sample_rate: float, traceparent: tuple[str, str] | None = None) -> SpanContext:
    """A new span under the current one; `traceparent` continues a trace from elsewhere."""
    if traceparent is None:
        parent = _current.get()
        if parent is not None:
            return SpanContext(parent.trace_id, new_span_id(), parent.span_id, parent.sampled,
                               parent.sample_rate, parent)  # fmt: skip
        traceparent = otel.active_ids()
    trace_id, parent_span_id = traceparent or (new_trace_id(), None)
    sampled = sampling.keep(trace_id, sample_rate)
    return SpanContext(trace_id, new_span_id(), parent_span_id, sampled, sample_rate)


def activate(span: SpanContext) -> contextvars.Token[SpanContext | None]:
    """Make `span` the current span until `deactivate` is called with the returned token."""
    return _current.set(span)


def deactivate(token: contextvars.Token[SpanContext | None]) -> None:
    """Restore the span that was current before `activate`."""
    # ended from another context (a generator finalised elsewhere): ours was never set there
    with contextlib.suppress(ValueError, RuntimeError):
        _current.reset(token)
