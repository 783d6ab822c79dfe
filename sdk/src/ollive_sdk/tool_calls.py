"""Links a tool run to the model's function call that asked for it (`tool_call_id`).

Explicitly: `with tool_call_id(call.id):` around the run. Or by itself: an inference span that
records a function call with an id (`add_tool_call`, which the google-genai integration calls)
leaves the call waiting on the span around the model call; the next tool of that name opened
under that span, at any depth, takes the oldest one. When a `trace()`/`span()` block ends, the
calls still waiting move up to its parent, so a model call wrapped in a span of its own still
links to the tools run after it. Outside any span a link can only be explicit.
"""

from __future__ import annotations

import contextvars
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from ollive_sdk import tracing
from ollive_sdk.tracing import SpanContext

# deque.popleft is atomic, so claiming needs no lock; the lock only guards creating queues.
_lock = threading.Lock()
_explicit: contextvars.ContextVar[deque[str] | None] = contextvars.ContextVar(
    "ollive_tool_call_id", default=None
)


@contextmanager
def tool_call_id(call_id: str | None) -> Iterator[None]:
    """The first tool span opened inside the block answers the model's function call `call_id`."""
    token = _explicit.set(deque([call_id]) if call_id else None)
    try:
        yield
    finally:
        _explicit.reset(token)


def expect(scope: SpanContext | None, name: str, call_id: str) -> None:
    """Leave a function call the model asked for waiting under `scope`."""
    if scope is None:
        return
    with _lock:
        if scope.tool_calls is None:
            scope.tool_calls = {}
        scope.tool_calls.setdefault(name, deque()).append(call_id)


def hand_up(scope: SpanContext) -> None:
    """Move the calls still waiting under an ending block to its parent."""
    parent = scope.parent
    if not scope.tool_calls or parent is None:
        return
    with _lock:
        waiting, scope.tool_calls = scope.tool_calls, None
        for name, ids in waiting.items():
            if ids:
                if parent.tool_calls is None:
                    parent.tool_calls = {}
                parent.tool_calls.setdefault(name, deque()).extend(ids)


def claim(name: str) -> str | None:
    """The id of the function call that a tool named `name`, opening here, answers."""
    explicit = _explicit.get()
    if explicit:
        try:
            return explicit.popleft()
        except IndexError:
            pass
    scope = tracing.current()
    while scope is not None:
        waiting = scope.tool_calls
        if waiting:
            ids = waiting.get(name)
            if ids:
                try:
                    return ids.popleft()
                except IndexError:
                    pass
        scope = scope.parent
    return None
