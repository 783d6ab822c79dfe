"""The anthropic integration against real `anthropic` clients whose HTTP layer is faked (a mock
transport): the Anthropic API is the one edge these tests stand in for. Every event must be one
the wire contract accepts."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import anthropic
import httpx2
import pytest
from ollive_sdk import tool_traced
from ollive_sdk.encode import encode
from ollive_sdk.integrations.anthropic import instrument_anthropic, uninstrument_anthropic

from ollive_contract.events import EVENT_ADAPTER
from tests.fixtures.anthropic_mock import (
    EVENTS,
    MODEL,
    RESPONSE_MODEL,
    anthropic_client,
    async_anthropic_client,
    error,
)

ASK = {"model": MODEL, "max_tokens": 1024, "messages": [
    {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]}]}  # fmt: skip
DELIVERED = len([e for e in EVENTS if e["type"] != "ping"])  # the library keeps pings to itself


def wire(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events as sent, each validated against the contract the ingest API applies."""
    sent = [json.loads(encode(e)) for e in events]
    for event in sent:
        EVENT_ADAPTER.validate_python(event)
    return sent


def assert_message_recorded(ev: dict[str, Any]) -> None:
    assert (ev["provider"], ev["model"], ev["operation"]) == ("anthropic", MODEL, "chat")
    assert ev["response_model"] == RESPONSE_MODEL
    assert ev["metadata"]["gen_ai.response.id"] == "msg_1"
    # OTel input counts the cache: 12 uncached + 4 read + 5 written; output includes thinking
    assert (ev["input_tokens"], ev["output_tokens"]) == (21, 10)
    assert (ev["cached_input_tokens"], ev["reasoning_tokens"]) == (4, 3)
    assert ev["metadata"]["gen_ai.usage.cache_creation.input_tokens"] == 5
    assert ev["finish_reason"] == "tool_use" and ev["status"] == "ok"
    assert ev["tool_calls"] == [
        {"name": "get_weather", "id": "toolu_1", "arguments_preview": "{'city': 'Paris'}"}
    ]
    assert ev["input_preview"] == "Weather in Paris?"
    assert ev["output_preview"] == "Let me check."  # the thinking is not the answer


def test_message(recording_client):
    client, events = recording_client
    claude = instrument_anthropic(anthropic_client(), client)
    message = claude.messages.create(**ASK)
    assert message.usage.input_tokens == 12  # the host gets its response intact
    [ev] = wire(events)
    assert_message_recorded(ev)
    assert ev["stream"] is False and "ttft_ms" not in ev


def test_streamed_message_marks_time_to_first_chunk(recording_client):
    client, events = recording_client
    claude = instrument_anthropic(anthropic_client(), client)
    assert len(list(claude.messages.create(**ASK, stream=True))) == DELIVERED
    with claude.messages.stream(**ASK) as stream:
        assert stream.get_final_message().content[-1].input == {"city": "Paris"}
    streamed, helped = wire(events)
    for ev in (streamed, helped):
        assert_message_recorded(ev)
        assert ev["stream"] is True and 0 <= ev["ttft_ms"] <= ev["latency_ms"]


def test_async_twins(recording_client):
    client, events = recording_client
    claude = instrument_anthropic(async_anthropic_client(), client)

    async def main() -> None:
        await claude.messages.create(**ASK)
        stream = await claude.messages.create(**ASK, stream=True)
        assert len([e async for e in stream]) == DELIVERED
        async with claude.messages.stream(**ASK) as stream:
            assert "".join([t async for t in stream.text_stream]) == "Let me check."

    asyncio.run(main())
    single, streamed, helped = wire(events)
    for ev in (single, streamed, helped):
        assert_message_recorded(ev)
    assert streamed["stream"] is helped["stream"] is True and "ttft_ms" in helped


def test_tool_use_blocks_link_to_the_tool_traced_runs(recording_client):
    client, events = recording_client
    claude = instrument_anthropic(anthropic_client(), client)

    @tool_traced(client=client)
    def get_weather(city: str) -> str:
        return "sunny"

    with client.trace("turn"):
        message = claude.messages.create(**ASK)
        for block in message.content:
            if block.type == "tool_use":
                get_weather(**block.input)
        get_weather("Lyon")  # asked for by nobody: no id to carry
    with client.trace("streamed turn"), claude.messages.stream(**ASK) as stream:
        for block in stream.get_final_message().content:
            if block.type == "tool_use":
                get_weather(**block.input)
    runs = [(e["tool_name"], e.get("tool_call_id")) for e in wire(events)
            if e["log_type"] == "tool_execution"]  # fmt: skip
    assert runs == [("get_weather", "toolu_1"), ("get_weather", None), ("get_weather", "toolu_1")]


def test_api_errors_are_recorded_and_reraised_untouched(recording_client):
    client, events = recording_client
    limited = error(429, "rate_limit_error", "Number of request tokens has exceeded your limit")
    claude = instrument_anthropic(anthropic_client(limited), client)
    with pytest.raises(anthropic.RateLimitError) as raised:
        claude.messages.create(**ASK)
    assert raised.value.status_code == 429 and raised.value.type == "rate_limit_error"
    with pytest.raises(anthropic.RateLimitError), claude.messages.stream(**ASK):
        pass
    busy = error(529, "overloaded_error", "Overloaded")
    overloaded = instrument_anthropic(anthropic_client(busy), client)
    with pytest.raises(anthropic.APIStatusError):
        overloaded.messages.create(**ASK, stream=True)
    *limited_events, overloaded_event = wire(events)
    for ev in limited_events:
        assert (ev["status"], ev["error_code"]) == ("error", "rate_limit_error")
        assert ev["metadata"]["http.response.status_code"] == 429
        assert "exceeded your limit" in ev["error_message"]
    assert overloaded_event["error_code"] == "overloaded_error"
    assert overloaded_event["metadata"]["http.response.status_code"] == 529


def test_timeouts_are_status_timeout(recording_client):
    client, events = recording_client

    def silent(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("no answer", request=request)

    with pytest.raises(anthropic.APITimeoutError):
        instrument_anthropic(anthropic_client(silent), client).messages.create(**ASK)
    claude = instrument_anthropic(async_anthropic_client(silent), client)

    async def main() -> None:
        async with claude.messages.stream(**ASK):
            pass

    with pytest.raises(anthropic.APITimeoutError):
        asyncio.run(main())
    outcomes = [(ev["status"], ev["stream"]) for ev in wire(events)]
    assert outcomes == [("timeout", False), ("timeout", True)]


def test_a_stream_abandoned_early_is_cancelled(recording_client):
    client, events = recording_client
    claude = instrument_anthropic(anthropic_client(), client)
    with claude.messages.create(**ASK, stream=True) as stream:
        for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                break
    with claude.messages.stream(**ASK) as helped:
        next(iter(helped.text_stream))
    aclaude = instrument_anthropic(async_anthropic_client(), client)

    async def main() -> None:
        stream = await aclaude.messages.create(**ASK, stream=True)
        await stream.__anext__()
        await stream.close()

    asyncio.run(main())
    raw, helper, closed_async = wire(events)
    assert [e["status"] for e in (raw, helper, closed_async)] == ["cancelled"] * 3
    assert raw["output_preview"] == helper["output_preview"] == "Let me "
    assert raw["input_tokens"] == 21 and "tool_calls" not in raw  # what was seen is kept


def test_instrument_is_idempotent_and_uninstrument_restores(recording_client):
    client, events = recording_client
    claude = anthropic_client()
    original = claude.messages.create, claude.messages.stream
    instrument_anthropic(claude, client)
    instrument_anthropic(claude, client)
    claude.messages.create(**ASK)
    with claude.messages.stream(**ASK) as stream:
        stream.until_done()
    assert len(events) == 2
    uninstrument_anthropic(claude)
    assert (claude.messages.create, claude.messages.stream) == original
    claude.messages.create(**ASK)
    claude.with_options(timeout=5).messages.create(**ASK)
    assert len(events) == 2


def test_clients_made_with_options_are_instrumented(recording_client):
    client, events = recording_client
    claude = instrument_anthropic(anthropic_client(), client)
    claude.with_options(timeout=5).messages.create(**ASK)
    assert_message_recorded(wire(events)[0])


def test_the_integration_imports_no_provider_library():
    code = "import sys, ollive_sdk.integrations.anthropic; sys.exit('anthropic' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
