"""Ready-made mask hooks. A mask hook gets each normalized event dict on the worker thread and
returns the dict to send (changed or not) or `None` to drop it; it runs before anything leaves
the process. Ingest redacts PII again with Presidio; this is the producer's own first line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

FREE_TEXT_FIELDS = (
    "input_preview", "output_preview", "arguments_preview", "result_preview",
    "error_message", "message", "exception_message", "exception_stack",
)  # fmt: skip


def text_mask(transform: Callable[[str], str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A hook applying `transform` to every free-text field, tool-call argument and metadata
    string."""

    def hook(event: dict[str, Any]) -> dict[str, Any]:
        for key in FREE_TEXT_FIELDS:
            if isinstance(event.get(key), str):
                event[key] = transform(event[key])
        for call in event.get("tool_calls", ()):
            if isinstance(call.get("arguments_preview"), str):
                call["arguments_preview"] = transform(call["arguments_preview"])
        metadata = event.get("metadata") or {}
        for key, value in metadata.items():
            if isinstance(value, str):
                metadata[key] = transform(value)
        return event

    return hook


def regex_mask(patterns: Iterable[str | re.Pattern[str]], replacement: str = "<redacted>"):
    """A hook replacing every match of `patterns` in free text with `replacement`."""
    compiled = [re.compile(p) if isinstance(p, str) else p for p in patterns]

    def transform(text: str) -> str:
        for pattern in compiled:
            text = pattern.sub(replacement, text)
        return text

    return text_mask(transform)


def drop_fields(*fields: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A hook that never sends the named fields (e.g. `input_preview`, `output_preview`)."""

    def hook(event: dict[str, Any]) -> dict[str, Any]:
        for key in fields:
            event.pop(key, None)
        return event

    return hook
