"""Ollive producer SDK: non-blocking, lossless-by-default telemetry for LLM calls, tools and logs.

import ollive_sdk
client = ollive_sdk.init(endpoint="http://127.0.0.1:8000", api_key="olk_...", service="chat")
with client.inference(provider="gcp.gemini", model="gemini-2.5-flash") as span:
    ...
"""

from ollive_sdk._version import __version__
from ollive_sdk.client import Client, get_client, init
from ollive_sdk.config import Config
from ollive_sdk.context import context, propagate
from ollive_sdk.logging_handler import OlliveLogHandler
from ollive_sdk.spans import InferenceSpan, ToolSpan
from ollive_sdk.stats import StatsSnapshot
from ollive_sdk.tool_traced import tool_traced
from ollive_sdk.transport import TransportConfig
from ollive_sdk.uuid7 import uuid7

__all__ = [
    "Client",
    "Config",
    "InferenceSpan",
    "OlliveLogHandler",
    "StatsSnapshot",
    "ToolSpan",
    "TransportConfig",
    "__version__",
    "context",
    "flush",
    "get_client",
    "init",
    "propagate",
    "shutdown",
    "stats",
    "tool_traced",
    "uuid7",
]


def flush(timeout: float | None = None) -> bool:
    """Flush the process-wide client (serverless: call before returning)."""
    return get_client().flush(timeout)


def shutdown(timeout: float | None = None) -> bool:
    """Flush and stop the process-wide client."""
    return get_client().shutdown(timeout)


def stats() -> StatsSnapshot:
    """Counters of the process-wide client."""
    return get_client().stats()
