"""`@tool_traced`: one `tool_execution` event per call of a sync or async function.

The run is the current span while it executes (a model called inside it is its child), and its
event carries the model's function-call id as `tool_call_id` when one is waiting for a tool of
this name, or was given with `tool_call_id(...)` (see `tool_calls.py`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

from ollive_sdk.client import Client, get_client

F = TypeVar("F", bound=Callable[..., Any])


def _arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not kwargs:
        return args[0] if len(args) == 1 else args
    return {**{f"arg{i}": a for i, a in enumerate(args)}, **kwargs} if args else kwargs


@overload
def tool_traced(fn: F) -> F: ...
@overload
def tool_traced(
    *, name: str | None = None, client: Client | None = None, capture: bool = True
) -> Callable[[F], F]: ...


def tool_traced(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    client: Client | None = None,
    capture: bool = True,
) -> Any:
    """Trace a tool. `capture=False` keeps its arguments and result out of the event."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        tool_name = name or getattr(func, "__name__", "tool")

        def open_span(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return (client or get_client()).tool(
                tool_name, arguments=_arguments(args, kwargs) if capture else None
            )

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def traced_async(*args: Any, **kwargs: Any) -> Any:
                with open_span(args, kwargs) as span:
                    result = await func(*args, **kwargs)
                    if capture:
                        span.set_result(result)
                    return result

            return traced_async

        @functools.wraps(func)
        def traced(*args: Any, **kwargs: Any) -> Any:
            with open_span(args, kwargs) as span:
                result = func(*args, **kwargs)
                if capture:
                    span.set_result(result)
                return result

        return traced

    return decorate(fn) if fn is not None else decorate
