"""Helpers of the trace tests: the wire form of recorded events, and lookups over a tree."""

from __future__ import annotations

import json
import re
from typing import Any

from ollive_sdk import Client
from ollive_sdk.encode import encode

TRACE_ID = re.compile(r"[0-9a-f]{32}")
SPAN_ID = re.compile(r"[0-9a-f]{16}")


def recorder(**options: Any) -> tuple[Client, list[dict[str, Any]]]:
    """A client whose events land in a list (as `recording_client`, with options)."""
    options.setdefault("service", "trace-tests")
    client = Client(environ={}, endpoint="http://127.0.0.1:9", api_key="k", **options)
    events: list[dict[str, Any]] = []
    client._emit = events.append  # type: ignore[method-assign]
    return client, events


def wire(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(encode(e)) for e in events]


def label(event: dict[str, Any]) -> str:
    """What a person would call the node: block name, tool name, model, or log message."""
    return str(event.get("tool_name") or event.get("model") or event.get("message"))


def by_label(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {label(e): e for e in events}


def parent_of(event: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any] | None:
    parent = event.get("parent_span_id")
    return next((e for e in events if e["span_id"] == parent), None)


def ancestry(event: dict[str, Any], events: list[dict[str, Any]]) -> list[str]:
    """Labels from the event's parent up to the root."""
    chain = []
    node = parent_of(event, events)
    while node is not None:
        chain.append(label(node))
        node = parent_of(node, events)
    return chain


def assert_w3c_ids(event: dict[str, Any]) -> None:
    assert TRACE_ID.fullmatch(event["trace_id"]) and set(event["trace_id"]) != {"0"}, event
    assert SPAN_ID.fullmatch(event["span_id"]) and set(event["span_id"]) != {"0"}, event
    if "parent_span_id" in event:
        assert SPAN_ID.fullmatch(event["parent_span_id"]), event
