"""The google-genai integration against a real `google.genai.Client` whose HTTP layer is faked
(httpx.MockTransport): the Gemini API is the one edge these tests stand in for."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from google.genai import errors, types
from ollive_sdk.encode import encode
from ollive_sdk.integrations.google_genai import (
    instrument_google_genai,
    uninstrument_google_genai,
)

from tests.fixtures.gemini_mock import MODEL, gemini


def wire(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(encode(e)) for e in events]


def assert_final_response_recorded(ev: dict[str, Any]) -> None:
    assert (ev["provider"], ev["model"], ev["operation"]) == ("gcp.gemini", MODEL, "chat")
    assert ev["response_model"] == "gemini-2.5-flash-001"
    assert (ev["input_tokens"], ev["output_tokens"]) == (12, 10)  # output includes thoughts
    assert (ev["cached_input_tokens"], ev["reasoning_tokens"]) == (4, 3)
    assert ev["finish_reason"] == "stop" and ev["status"] == "ok"
    assert ev["tool_calls"] == [
        {"name": "get_weather", "id": "fc1", "arguments_preview": "{'city': 'Paris'}"}
    ]
    assert ev["input_preview"] == "What's the weather in Paris?"


def test_generate_content(recording_client):
    client, events = recording_client
    g = instrument_google_genai(gemini(), client)
    response = g.models.generate_content(model=MODEL, contents="What's the weather in Paris?")
    assert response.usage_metadata.prompt_token_count == 12  # the host gets its response intact
    [ev] = wire(events)
    assert_final_response_recorded(ev)
    assert ev["output_preview"] == "It is sunny." and ev["stream"] is False
    assert "ttft_ms" not in ev


def test_generate_content_stream_marks_time_to_first_chunk(recording_client):
    client, events = recording_client
    g = instrument_google_genai(gemini(), client)
    chunks = list(g.models.generate_content_stream(
        model=MODEL, contents=[types.Content(role="user", parts=[
            types.Part(text="What's the weather in Paris?")])],
    ))  # fmt: skip
    assert len(chunks) == 2
    [ev] = wire(events)
    assert_final_response_recorded(ev)
    assert ev["stream"] is True and 0 <= ev["ttft_ms"] <= ev["latency_ms"]
    assert ev["output_preview"] == "Let me check. It is sunny."


def test_async_twins(recording_client):
    client, events = recording_client
    g = instrument_google_genai(gemini(), client)

    async def main() -> None:
        await g.aio.models.generate_content(model=MODEL, contents="What's the weather in Paris?")
        stream = await g.aio.models.generate_content_stream(
            model=MODEL,
            contents={"role": "user", "parts": [{"text": "What's the weather in Paris?"}]},
        )
        assert len([c async for c in stream]) == 2

    asyncio.run(main())
    single, streamed = wire(events)
    assert_final_response_recorded(single)
    assert_final_response_recorded(streamed)
    assert streamed["stream"] is True and "ttft_ms" in streamed


def test_api_errors_are_recorded_and_reraised_untouched(recording_client):
    client, events = recording_client

    def quota(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}
        return httpx.Response(429, json=body)

    g = instrument_google_genai(gemini(quota), client)
    with pytest.raises(errors.ClientError) as raised:
        g.models.generate_content(model=MODEL, contents="hi")
    assert raised.value.code == 429
    with pytest.raises(errors.ClientError):
        list(g.models.generate_content_stream(model=MODEL, contents="hi"))
    for ev in wire(events):
        assert (ev["status"], ev["error_code"]) == ("error", "RESOURCE_EXHAUSTED")
        assert "quota" in ev["error_message"]


def test_timeouts_are_status_timeout(recording_client):
    client, events = recording_client

    def silent(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    g = instrument_google_genai(gemini(silent), client)
    with pytest.raises(httpx.ReadTimeout):
        g.models.generate_content(model=MODEL, contents="hi")

    async def main() -> None:
        async for _ in await g.aio.models.generate_content_stream(model=MODEL, contents="hi"):
            pass  # the async stream sends its request on first iteration

    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(main())
    assert [ev["status"] for ev in wire(events)] == ["timeout", "timeout"]


def test_a_stream_abandoned_early_is_cancelled(recording_client):
    client, events = recording_client
    g = instrument_google_genai(gemini(), client)
    stream = g.models.generate_content_stream(model=MODEL, contents="hi")
    next(stream)
    stream.close()
    [ev] = wire(events)
    assert ev["status"] == "cancelled" and ev["output_preview"] == "Let me check. "


def test_instrument_is_idempotent_and_uninstrument_restores(recording_client):
    client, events = recording_client
    g = gemini()
    original = g.models.generate_content
    instrument_google_genai(g, client)
    instrument_google_genai(g, client)
    g.models.generate_content(model=MODEL, contents="hi")
    assert len(events) == 1
    uninstrument_google_genai(g)
    assert g.models.generate_content == original
    g.models.generate_content(model=MODEL, contents="hi")
    assert len(events) == 1


def test_vertex_clients_report_the_vertex_provider(recording_client):
    client, events = recording_client
    g = gemini()
    g._api_client.vertexai = True  # what `genai.Client(vertexai=True, ...)` sets
    instrument_google_genai(g, client)
    g._api_client.vertexai = False  # the fake HTTP layer speaks the Gemini API dialect
    g.models.generate_content(model=MODEL, contents="hi")
    assert wire(events)[0]["provider"] == "gcp.vertex_ai"
