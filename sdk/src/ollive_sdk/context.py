"""Conversation, session, user and request ids carried by `contextvars`.

asyncio tasks and `asyncio.to_thread` copy the context by themselves; plain threads and
`ThreadPoolExecutor.submit` do not, so `propagate(fn)` binds the caller's context to a callable:
these ids and the current span (`tracing.py`) alike.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, TypeVar

T = TypeVar("T")
CONTEXT_FIELDS = ("conversation_id", "session_id", "user_id", "request_id")

# One var holding an immutable mapping: one lookup per event, and nesting merges cheaply.
_ids: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "ollive_ids", default=None
)
_EMPTY: Mapping[str, str] = MappingProxyType({})


def current() -> Mapping[str, str]:
    """The ids in effect here (empty when none was set)."""
    return _ids.get() or _EMPTY


@contextmanager
def context(
    *,
    conversation_id: str | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
    request_id: str | None = None,
) -> Iterator[Mapping[str, str]]:
    """Attach ids to every event emitted inside the block, nested blocks overriding outer ones."""
    given = {
        "conversation_id": conversation_id,
        "session_id": session_id,
        "user_id": user_id,
        "request_id": request_id,
    }
    merged = dict(current())
    merged.update({k: str(v) for k, v in given.items() if v is not None})
    token = _ids.set(merged)
    try:
        yield merged
    finally:
        _ids.reset(token)


def propagate(fn: Callable[..., T]) -> Callable[..., T]:
    """Bind the caller's ids and current span to `fn`, for work handed to threads that do not
    copy the context."""
    ctx = contextvars.copy_context()

    @functools.wraps(fn)
    def bound(*args: Any, **kwargs: Any) -> T:
        return ctx.copy().run(fn, *args, **kwargs)

    return bound
