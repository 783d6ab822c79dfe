"""Ollive producer SDK: non-blocking, lossless-by-default telemetry for LLM calls, tools and logs.

import ollive_sdk
client = ollive_sdk.init(endpoint="http://127.0.0.1:8000", api_key="olk_...", service="chat")
with client.trace("chat turn"), client.inference(provider="gcp.gemini", model="m") as span:
    ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from ollive_sdk._version import __version__
from ollive_sdk.blocks import BlockSpan, Traced
from ollive_sdk.client import Client, get_client, init
from ollive_sdk.config import Config
from ollive_sdk.context import context, propagate
from ollive_sdk.logging_handler import OlliveLogHandler
from ollive_sdk.spans import InferenceSpan, ToolSpan
from ollive_sdk.stats import StatsSnapshot
from ollive_sdk.tool_calls import tool_call_id
from ollive_sdk.tool_traced import tool_traced
from ollive_sdk.tracing import SpanContext
from ollive_sdk.transport import TransportConfig
from ollive_sdk.uuid7 import uuid7

__all__ = [
    "BlockSpan",
    "Client",
    "Config",
    "InferenceSpan",
    "OlliveLogHandler",
    "SpanContext",
    "StatsSnapshot",
    "ToolSpan",
    "Traced",
    "TransportConfig",
    "__version__",
    "context",
    "flush",
    "get_client",
    "init",
    "propagate",
    "shutdown",
    "span",
    "stats",
    "tool_call_id",
    "tool_traced",
    "trace",
    "uuid7",
]

F = TypeVar("F", bound=Callable[..., Any])


def _block(name: str, kind: str, metadata: Mapping[str, Any] | None, tp: str | None) -> BlockSpan:
    # resolved per use: a decorator applied at import time runs long after `init()`
    return get_client()._block(name, kind, metadata, tp)


@overload
def trace(name: F, /) -> F: ...
@overload
def trace(
    name: str | None = None,
    *,
    kind: str = "trace",
    metadata: Mapping[str, Any] | None = None,
    traceparent: str | None = None,
) -> Traced: ...


def trace(
    name: Any = None,
    *,
    kind: str = "trace",
    metadata: Mapping[str, Any] | None = None,
    traceparent: str | None = None,
) -> Any:
    """`Client.trace` on the process-wide client."""
    if callable(name):
        return Traced(_block, None, kind)(name)
    return Traced(_block, name, kind, metadata, traceparent)


@overload
def span(name: F, /) -> F: ...
@overload
def span(
    name: str | None = None, *, kind: str = "span", metadata: Mapping[str, Any] | None = None
) -> Traced: ...


def span(name: Any = None, *, kind: str = "span", metadata: Mapping[str, Any] | None = None) -> Any:
    """`Client.span` on the process-wide client."""
    if callable(name):
        return Traced(_block, None, kind)(name)
    return Traced(_block, name, kind, metadata)


def flush(timeout: float | None = None) -> bool:
    """Flush the process-wide client (serverless: call before returning)."""
    return get_client().flush(timeout)


def shutdown(timeout: float | None = None) -> bool:
    """Flush and stop the process-wide client."""
    return get_client().shutdown(timeout)


def stats() -> StatsSnapshot:
    """Counters of the process-wide client."""
    return get_client().stats()
