"""Turns the raw dict a span or log record captured into a contract-valid NDJSON line.

Runs on the transport's worker thread, not the host's: the host only pays for building a small
dict, while formatting, truncation, masking and JSON encoding happen in the background.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ollive_sdk._limits import (
    ID_MAX_CHARS,
    METADATA_MAX_ITEMS,
    MILLIS_MAX,
    PREVIEW_MAX_CHARS,
    SERVER_FIELDS,
    TEXT_MAX_CHARS,
    TOOL_CALLS_MAX_ITEMS,
)

Mask = Callable[[dict[str, Any]], "dict[str, Any] | None"]

_ELLIPSIS = "…"
_NAME_FIELDS = (
    "service", "environment", "request_id", "trace_id", "span_id", "parent_span_id",
    "conversation_id", "session_id", "user_id", "sdk_name", "sdk_version", "provider",
    "operation", "model", "response_model", "finish_reason", "error_code", "tool_name",
    "tool_call_id", "logger", "exception_type", "name", "target_trace_id",
    "target_conversation_id",
)  # fmt: skip
_REQUIRED_NAMES = ("service", "provider", "model", "tool_name", "logger", "operation", "name")
_PREVIEW_FIELDS = ("input_preview", "output_preview", "arguments_preview", "result_preview")
_TEXT_FIELDS = ("error_message", "message", "exception_message", "comment")
_MILLIS_FIELDS = ("latency_ms", "ttft_ms")
_COUNT_FIELDS = ("input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens")
_TIME_FIELDS = ("started_at", "finished_at")


class Filtered(Exception):
    """The mask hook chose to drop the event (not a loss: the producer asked for it)."""


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def iso(ts: float) -> str:
    """Epoch seconds to RFC 3339 UTC with microseconds."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _name(value: Any) -> str | None:
    text = value if isinstance(value, str) else str(value)
    return truncate(text, ID_MAX_CHARS) if text else None


def _metadata_value(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, (bool, int)):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
            return str(value)
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    text = value if isinstance(value, str) else repr(value)
    return truncate(text, PREVIEW_MAX_CHARS)


def _finite(value: Any) -> float | None:
    """`value` as a finite float, or None (NaN, infinities, text that is not a number)."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _metadata(raw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(raw, dict):
        return out
    for key, value in raw.items():
        if len(out) >= METADATA_MAX_ITEMS:
            break
        name = _name(key)
        if name:
            out[name] = _metadata_value(value)
    return out


def _tool_calls(raw: Any) -> list[dict[str, Any]]:
    out = []
    for call in list(raw or ())[:TOOL_CALLS_MAX_ITEMS]:
        entry = {"name": _name(call.get("name")) or "unknown"}
        if call.get("id"):
            entry["id"] = _name(call["id"])
        if call.get("arguments_preview") is not None:
            entry["arguments_preview"] = truncate(str(call["arguments_preview"]), PREVIEW_MAX_CHARS)
        out.append(entry)
    return out


def normalize(raw: dict[str, Any]) -> dict[str, Any]:
    """Coerce every field into its contract type and limit; drop empty optional fields."""
    ev = {k: v for k, v in raw.items() if v is not None}
    for key in _TIME_FIELDS:
        if isinstance(ev.get(key), (int, float)):
            ev[key] = iso(ev[key])
    for key in _NAME_FIELDS:
        if key in ev:
            value = _name(ev[key])
            if value is None:
                del ev[key]
            else:
                ev[key] = value
    for key in _REQUIRED_NAMES:
        if key in raw and key not in ev:
            ev[key] = "unknown"
    for key in _PREVIEW_FIELDS:
        if key in ev:
            ev[key] = truncate(str(ev[key]), PREVIEW_MAX_CHARS)
    for key in _TEXT_FIELDS:
        if key in ev:
            ev[key] = truncate(str(ev[key]), TEXT_MAX_CHARS)
    if "exception_stack" in ev:  # the innermost frames, at the end, are the ones worth keeping
        stack = str(ev["exception_stack"])
        if len(stack) > TEXT_MAX_CHARS:
            ev["exception_stack"] = _ELLIPSIS + stack[-(TEXT_MAX_CHARS - 1) :]
    # a measurement that is not a finite number loses the field, not the whole event
    for key in _MILLIS_FIELDS:
        if key in ev:
            millis = _finite(ev.pop(key))
            if millis is not None:
                ev[key] = min(max(millis, 0.0), MILLIS_MAX)
    for key in _COUNT_FIELDS:
        if key in ev:
            count = _finite(ev.pop(key))
            if count is not None:
                ev[key] = min(max(int(count), 0), 2**53)
    if "cost_usd" in ev:
        cost = _finite(ev.pop("cost_usd"))
        if cost is not None and 0 <= cost <= 1e6:
            ev["cost_usd"] = cost
    if "metadata" in ev:
        ev["metadata"] = _metadata(ev["metadata"])
    if "tool_calls" in ev:
        ev["tool_calls"] = _tool_calls(ev["tool_calls"])
    return ev


def encode(raw: dict[str, Any], mask: Mask | None = None) -> bytes:
    """One NDJSON line (with its newline); raises `Filtered` when the mask drops the event."""
    ev = normalize(raw)
    if mask is not None:
        event_id = ev["event_id"]
        masked = mask(ev)
        if masked is None:
            raise Filtered
        ev = normalize(masked)  # the hook may have lengthened a field or set a bad type
        ev["event_id"] = event_id  # the dedupe key is not the hook's to change
    for key in SERVER_FIELDS.intersection(ev):
        del ev[key]
    line = json.dumps(ev, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (line + "\n").encode()
