"""The model's tool calls on an OTLP inference span → the event's `tool_calls`, linked by id to
the `execute_tool` spans that ran them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson

from ingest_api.intake.body import RawEvent
from ingest_api.intake.records import to_record
from ingest_api.intake.validation import validate_events
from ingest_api.otlp.mapping import map_span
from ingest_api.otlp.spans import SpanView, iter_spans
from ingest_api.pii.redaction import Redactor
from ollive_contract.settings import DEFAULT_PII_ENTITIES
from tests.fixtures.otlp import CHAT, TOOL, json_doc, spans

OUTPUT = [
    {
        "role": "assistant",
        "parts": [
            {"type": "text", "content": "Let me look."},
            {"type": "tool_call", "id": "call_1", "name": "get_weather",
             "arguments": {"city": "Paris"}},
            {"type": "tool_call", "id": "call_2", "name": "get_time", "arguments": "{}"},
            {"type": "tool_call", "id": "call_3", "arguments": {}},  # no name: not a call
        ],
        "finish_reason": "tool_call",
    }
]  # fmt: skip


def _events(*attribute_sets: dict[str, Any]) -> list[Any]:
    doc = json_doc(spans(*attribute_sets))
    views = sorted(
        (v for v in iter_spans(doc) if isinstance(v, SpanView)),
        key=lambda v: v.span["startTimeUnixNano"],
    )
    validated = validate_events([RawEvent(map_span(v)) for v in views])  # type: ignore[arg-type]
    assert not validated.rejected, validated.rejected
    return validated.events


def _calls(event: Any) -> list[tuple[str, str | None, str | None]]:
    return [(c.name, c.id, c.arguments_preview) for c in event.tool_calls]


def test_output_messages_tool_call_parts_link_to_the_execute_tool_span() -> None:
    chat = {**CHAT, "gen_ai.output.messages": orjson.dumps(OUTPUT).decode()}
    inference, tool = _events(chat, TOOL)
    assert _calls(inference) == [
        ("get_weather", "call_1", '{"city":"Paris"}'),
        ("get_time", "call_2", "{}"),
    ]
    assert tool.tool_call_id == inference.tool_calls[0].id
    assert tool.parent_span_id == inference.span_id


def test_structured_output_messages_in_otlp_json() -> None:
    """OTLP/JSON may carry the messages as an AnyValue array of kvlists, not a JSON string."""
    doc = json_doc(spans(CHAT))
    span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    part = {"kvlistValue": {"values": [
        {"key": "type", "value": {"stringValue": "tool_call"}},
        {"key": "id", "value": {"stringValue": "call_9"}},
        {"key": "name", "value": {"stringValue": "lookup"}},
        {"key": "arguments", "value": {"kvlistValue": {"values": [
            {"key": "q", "value": {"stringValue": "x"}}]}}},
    ]}}  # fmt: skip
    message = {"kvlistValue": {"values": [
        {"key": "role", "value": {"stringValue": "assistant"}},
        {"key": "parts", "value": {"arrayValue": {"values": [part]}}},
    ]}}  # fmt: skip
    span["attributes"].append(
        {"key": "gen_ai.output.messages", "value": {"arrayValue": {"values": [message]}}}
    )
    (view,) = [v for v in iter_spans(doc) if isinstance(v, SpanView)]
    event = map_span(view)
    assert isinstance(event, dict)
    assert event["tool_calls"] == [
        {"name": "lookup", "id": "call_9", "arguments_preview": '{"q":"x"}'}
    ]


def test_openinference_and_openllmetry_flattened_tool_calls() -> None:
    prefix = "llm.output_messages.0.message.tool_calls"
    openinference = {
        "openinference.span.kind": "LLM",
        "llm.provider": "anthropic",
        "llm.model_name": "claude-sonnet-4",
        f"{prefix}.1.tool_call.function.name": "second",
        f"{prefix}.0.tool_call.function.name": "first",
        f"{prefix}.0.tool_call.id": "toolu_1",
        f"{prefix}.0.tool_call.function.arguments": '{"a": 1}',
    }
    openllmetry = {
        "gen_ai.system": "openai",
        "llm.request.type": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.completion.0.tool_calls.0.name": "search",
        "gen_ai.completion.0.tool_calls.0.id": "call_7",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"q": "x"}',
    }
    oi, ol = _events(openinference, openllmetry)
    assert _calls(oi) == [("first", "toolu_1", '{"a": 1}'), ("second", None, None)]
    assert _calls(ol) == [("search", "call_7", '{"q": "x"}')]
    assert "gen_ai.completion.0.tool_calls.0.name" not in ol.metadata  # content, not metadata


def test_text_only_output_has_no_tool_calls() -> None:
    plain = {**CHAT, "gen_ai.output.messages": "It is sunny."}
    text_part = [{"role": "assistant", "parts": [{"type": "text", "content": "Sunny."}]}]
    structured = {**CHAT, "gen_ai.output.messages": orjson.dumps(text_part).decode()}
    assert [e.tool_calls for e in _events(plain)] == [[]]
    assert [e.tool_calls for e in _events(structured)] == [[]]


def test_tool_call_arguments_are_redacted_in_the_record() -> None:
    output = [{"role": "assistant", "parts": [
        {"type": "tool_call", "id": "call_1", "name": "email_user",
         "arguments": {"to": "jane.doe@example.com"}}]}]  # fmt: skip
    (event,) = _events({**CHAT, "gen_ai.output.messages": orjson.dumps(output).decode()})
    record = orjson.loads(
        to_record(
            event,
            received_at=datetime.now(UTC),
            project_id="p",
            redactor=Redactor(DEFAULT_PII_ENTITIES),
            entity_counts=Counter(),
        )
    )
    (call,) = record["tool_calls"]
    assert call["id"] == "call_1" and "jane.doe@example.com" not in call["arguments_preview"]
    assert record["pii_detected"]
