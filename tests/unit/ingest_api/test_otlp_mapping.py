"""The OTLP span → contract event mapping: each convention, drops, rejections, docs table."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from ingest_api.intake.body import RawEvent
from ingest_api.intake.validation import validate_events
from ingest_api.otlp.mapping import (
    MAPPING_VERSION,
    NOT_GENAI,
    RESOURCE_RULES,
    RULES,
    UNMAPPED_OPERATION,
    event_id,
    map_span,
    sample_rate,
)
from ingest_api.otlp.spans import SpanError, SpanView, iter_spans
from ingest_api.otlp.tool_calls import SOURCES as TOOL_CALL_SOURCES
from tests.fixtures.otlp import CHAT, SERVICE, TOOL, json_doc, spans

REPO = Path(__file__).resolve().parents[3]


def _mapped(*attribute_sets: dict[str, Any], error: str | None = None) -> list[dict | str]:
    doc = json_doc(spans(*attribute_sets, error=error))
    views = [v for v in iter_spans(doc) if isinstance(v, SpanView)]
    # the SDK exports children first; put them back in nesting order
    return [map_span(v) for v in sorted(views, key=lambda v: v.span["startTimeUnixNano"])]


def _valid(event: dict) -> Any:
    validated = validate_events([RawEvent(event)])
    assert not validated.rejected, validated.rejected
    return validated.events[0]


def test_current_genai_names_fill_the_inference_event() -> None:
    (event,) = _mapped(CHAT)
    assert isinstance(event, dict)
    e = _valid(event)
    assert (e.log_type, e.provider, e.operation) == ("inference", "openai", "chat")
    assert (e.model, e.response_model) == ("gpt-4o-mini", "gpt-4o-mini-2024-07-18")
    assert (e.input_tokens, e.output_tokens) == (120, 30)
    assert (e.cached_input_tokens, e.reasoning_tokens) == (100, 7)
    assert (e.finish_reason, e.conversation_id, e.status) == ("stop", "conv-1", "ok")
    assert e.service == SERVICE and len(e.trace_id) == 32 and len(e.span_id) == 16
    assert e.latency_ms is not None and e.finished_at >= e.started_at
    assert e.metadata["otlp.mapping_version"] == MAPPING_VERSION
    assert e.metadata["otlp.scope_name"] == "tests.otlp"


def test_legacy_genai_names() -> None:
    legacy = {
        "gen_ai.system": "gemini",
        "gen_ai.request.model": "gemini-2.5-flash",
        "gen_ai.usage.prompt_tokens": 11,
        "gen_ai.usage.completion_tokens": 5,
        "gen_ai.usage.cache_creation.input_tokens": 9,
    }
    (event,) = _mapped(legacy)
    e = _valid(event)
    assert (e.provider, e.operation, e.model) == ("gcp.gemini", "chat", "gemini-2.5-flash")
    assert (e.input_tokens, e.output_tokens) == (11, 5)
    assert e.metadata["cache_creation_input_tokens"] == 9


def test_current_names_win_over_legacy_in_a_mixed_span() -> None:
    mixed = {**CHAT, "gen_ai.system": "az.ai.openai", "gen_ai.usage.prompt_tokens": 1}
    e = _valid(_mapped(mixed)[0])
    assert (e.provider, e.input_tokens) == ("openai", 120)


def test_openinference_llm_and_tool_spans() -> None:
    llm = {
        "openinference.span.kind": "LLM",
        "llm.provider": "anthropic",
        "llm.model_name": "claude-sonnet-4",
        "llm.token_count.prompt": 40,
        "llm.token_count.completion": 8,
        "llm.token_count.prompt_details.cache_read": 30,
        "llm.token_count.prompt_details.cache_write": 10,
        "input.value": "What is the weather?",
        "output.value": "Sunny.",
        "session.id": "sess-1",
        "user.id": "user-1",
    }
    tool = {"openinference.span.kind": "TOOL", "tool.name": "lookup", "input.value": "{}"}
    llm_event, tool_event = (_valid(e) for e in _mapped(llm, tool))
    assert (llm_event.provider, llm_event.model, llm_event.operation) == (
        "anthropic",
        "claude-sonnet-4",
        "chat",
    )
    assert (llm_event.input_tokens, llm_event.output_tokens) == (40, 8)
    assert llm_event.cached_input_tokens == 30
    assert llm_event.metadata["cache_creation_input_tokens"] == 10
    assert (llm_event.input_preview, llm_event.output_preview) == ("What is the weather?", "Sunny.")
    assert (llm_event.session_id, llm_event.user_id) == ("sess-1", "user-1")
    assert (tool_event.log_type, tool_event.tool_name) == ("tool_execution", "lookup")
    assert tool_event.parent_span_id == llm_event.span_id
    assert tool_event.trace_id == llm_event.trace_id


def test_openllmetry_names() -> None:
    span = {
        "gen_ai.system": "openai",
        "llm.request.type": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.prompt_tokens": 3,
        "gen_ai.usage.cache_read_input_tokens": 2,
        "llm.is_streaming": True,
        "gen_ai.prompt.0.content": "hi",
    }
    e = _valid(_mapped(span)[0])
    assert (e.cached_input_tokens, e.stream, e.input_preview) == (2, True, "hi")


def test_execute_tool_span_is_a_tool_execution() -> None:
    e = _valid(_mapped(TOOL)[0])
    assert (e.log_type, e.tool_name, e.tool_call_id) == ("tool_execution", "get_weather", "call_1")
    assert (e.arguments_preview, e.result_preview) == ('{"city": "Paris"}', "sunny")


def test_errors_and_ttft() -> None:
    failing = {**CHAT, "error.type": "RateLimitError", "gen_ai.response.time_to_first_chunk": 0.25}
    e = _valid(_mapped(failing, error="quota exceeded")[0])
    assert (e.status, e.error_code, e.error_message) == (
        "error",
        "RateLimitError",
        "quota exceeded",
    )
    assert e.ttft_ms == 250
    cancelled = _valid(_mapped({**CHAT, "error.type": "asyncio.CancelledError"})[0])
    assert cancelled.status == "cancelled"


def test_non_genai_and_unmapped_operations_are_dropped_not_errors() -> None:
    http = {"http.request.method": "GET", "url.full": "https://example.com"}
    agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"}
    chain = {"openinference.span.kind": "CHAIN"}
    assert _mapped(http, agent, chain) == [NOT_GENAI, UNMAPPED_OPERATION, UNMAPPED_OPERATION]


def test_unknown_usage_keys_kept_in_metadata_and_never_hide_the_span() -> None:
    extra = {
        **CHAT,
        "gen_ai.usage.audio.input_tokens": 5,
        "gen_ai.usage.some_future_tokens": 2,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.input.messages": '[{"role": "user"}]',  # content: a preview, not metadata
    }
    e = _valid(_mapped(extra)[0])
    assert e.input_tokens == 120
    assert e.metadata["gen_ai.usage.audio.input_tokens"] == 5
    assert e.metadata["gen_ai.usage.some_future_tokens"] == 2
    assert e.metadata["gen_ai.request.temperature"] == 0.2
    assert "gen_ai.input.messages" not in e.metadata and e.input_preview


def test_bad_spans_raise_span_error() -> None:
    doc = json_doc(spans(CHAT))
    view = next(v for v in iter_spans(doc) if isinstance(v, SpanView))
    for key, value in [
        ("traceId", "xyz"),
        ("spanId", "0" * 16),
        ("startTimeUnixNano", "soon"),
        ("endTimeUnixNano", "1"),
    ]:
        bad = SpanView(view.index, {**view.span, key: value}, view.resource, "s", "v")
        with pytest.raises(SpanError):
            map_span(bad)


def test_int64_as_strings_or_numbers() -> None:
    doc = json_doc(spans(CHAT))
    span = next(v for v in iter_spans(doc) if isinstance(v, SpanView)).span
    for attr in span["attributes"]:
        if "intValue" in attr["value"]:
            attr["value"]["intValue"] = int(attr["value"]["intValue"])  # a number this time
    span["startTimeUnixNano"] = int(span["startTimeUnixNano"])
    e = _valid(map_span(next(v for v in iter_spans(doc) if isinstance(v, SpanView))))
    assert (e.input_tokens, e.output_tokens) == (120, 30)


def test_missing_provider_is_rejected_by_validation() -> None:
    event = _mapped({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"})[0]
    rejected = validate_events([RawEvent(event)]).rejected
    assert rejected and "provider" in rejected[0].reason


def test_event_id_is_a_deterministic_uuid7() -> None:
    a = event_id("ab" * 16, "cd" * 8, 1_700_000_000_123_000_000)
    assert a == event_id("ab" * 16, "cd" * 8, 1_700_000_000_123_000_000)
    assert a != event_id("ab" * 16, "ce" * 8, 1_700_000_000_123_000_000)
    parsed = uuid.UUID(a)
    assert parsed.version == 7 and parsed.int >> 80 == 1_700_000_000_123


def test_sample_rate_from_the_tracestate_threshold() -> None:
    assert sample_rate(None) == 1.0
    assert sample_rate("ot=th:8") == 0.5
    assert sample_rate("vendor=x,ot=rv:abc;th:c") == 0.25
    assert sample_rate("ot=th:0") == 1.0


def test_docs_table_lists_every_mapped_attribute() -> None:
    text = (REPO / "docs" / "otlp.md").read_text()
    for rule in (*RULES, *RESOURCE_RULES):
        for attr, convention in rule.sources:
            row = f"| `{attr}` | {convention} | `{rule.field}`"
            assert row in text, row
    for attr, convention in TOOL_CALL_SOURCES:
        row = f"| `{attr}` | {convention} | `tool_calls`"
        assert row in text, row
    assert f"MAPPING_VERSION` = {MAPPING_VERSION}" in text
