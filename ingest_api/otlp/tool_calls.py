"""The function calls a model asked for, read from its span: an inference event's `tool_calls`.

Each call keeps the id the model gave it, the `tool_call_id` its `execute_tool` span carries, so
the model's request and the tool's run join on it downstream. Three shapes, first one with a call
wins: the OTel GenAI `gen_ai.output.messages` (`tool_call` parts, as a JSON string or a structured
value), OpenInference's flattened `llm.output_messages.<i>.message.tool_calls.<j>.tool_call.*`,
and OpenLLMetry's flattened `gen_ai.completion.<i>.tool_calls.<j>.*`.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from ollive_contract.events import ID_MAX_CHARS, TEXT_MAX_CHARS

CURRENT = "OTel GenAI"
OPENINFERENCE = "OpenInference"
OPENLLMETRY = "OpenLLMetry"
OUTPUT_MESSAGES = "gen_ai.output.messages"
_MAX_CALLS = 128  # the contract's bound on tool_calls

# (attribute or pattern as documented, convention) in priority order; docs/otlp.md lists them
SOURCES: tuple[tuple[str, str], ...] = (
    (OUTPUT_MESSAGES, CURRENT),
    ("llm.output_messages.<i>.message.tool_calls.<j>.tool_call.function.name", OPENINFERENCE),
    ("llm.output_messages.<i>.message.tool_calls.<j>.tool_call.id", OPENINFERENCE),
    ("llm.output_messages.<i>.message.tool_calls.<j>.tool_call.function.arguments", OPENINFERENCE),
    ("gen_ai.completion.<i>.tool_calls.<j>.name", OPENLLMETRY),
    ("gen_ai.completion.<i>.tool_calls.<j>.id", OPENLLMETRY),
    ("gen_ai.completion.<i>.tool_calls.<j>.arguments", OPENLLMETRY),
)
_FLATTENED = (
    (
        re.compile(r"^llm\.output_messages\.(\d+)\.message\.tool_calls\.(\d+)\.tool_call\.(.+)$"),
        {"function.name": "name", "id": "id", "function.arguments": "arguments"},
    ),
    (
        re.compile(r"^gen_ai\.completion\.(\d+)\.tool_calls\.(\d+)\.(.+)$"),
        {"name": "name", "id": "id", "arguments": "arguments"},
    ),
)


def tool_calls(attrs: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's tool calls as contract `ToolCall` dicts (name, id, arguments_preview)."""
    calls = _from_messages(attrs.get(OUTPUT_MESSAGES))
    for pattern, fields in _FLATTENED:
        if calls:
            break
        calls = _from_flattened(attrs, pattern, fields)
    return calls[:_MAX_CALLS]


def _from_messages(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return []  # plain text output: no parts to read
    if not isinstance(value, list):
        return []
    calls = []
    for message in value:
        parts = message.get("parts") if isinstance(message, dict) else None
        for part in parts if isinstance(parts, list) else ():
            if isinstance(part, dict) and part.get("type") == "tool_call":
                call = _call(part.get("name"), part.get("id"), part.get("arguments"))
                if call:
                    calls.append(call)
    return calls


def _from_flattened(
    attrs: dict[str, Any], pattern: re.Pattern[str], fields: dict[str, str]
) -> list[dict[str, Any]]:
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for key, value in attrs.items():
        match = pattern.match(key)
        if match and match[3] in fields:
            found.setdefault((int(match[1]), int(match[2])), {})[fields[match[3]]] = value
    calls = (
        _call(c.get("name"), c.get("id"), c.get("arguments")) for _, c in sorted(found.items())
    )
    return [c for c in calls if c]


def _call(name: Any, call_id: Any, arguments: Any) -> dict[str, Any] | None:
    if not isinstance(name, str) or not name:
        return None  # the contract needs the function's name
    call: dict[str, Any] = {"name": name[:ID_MAX_CHARS]}
    if isinstance(call_id, str | int) and not isinstance(call_id, bool) and str(call_id):
        call["id"] = str(call_id)[:ID_MAX_CHARS]
    if arguments not in (None, "", {}):
        text = arguments if isinstance(arguments, str) else orjson.dumps(arguments).decode()
        call["arguments_preview"] = text[:TEXT_MAX_CHARS]  # records.py redacts, then cuts
    return call
