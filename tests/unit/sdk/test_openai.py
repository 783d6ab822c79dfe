"""The openai integration against real `openai` clients whose HTTP layer is faked (a mock
transport): the OpenAI API is the one edge these tests stand in for. Every event must be one the
wire contract accepts."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
from typing import Any

import httpx2
import ollive_sdk
import openai
import pytest
from ollive_sdk import tool_traced
from ollive_sdk.encode import encode
from ollive_sdk.integrations.openai import instrument_openai, uninstrument_openai

from ollive_contract.events import EVENT_ADAPTER
from tests.fixtures.openai_mock import (
    ARGUMENTS,
    CHUNKS,
    MODEL,
    RESPONSES_MODEL,
    async_openai_client,
    error,
    ok,
    openai_client,
    sse,
)

QUESTION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
]
CALLS = [{"name": "get_weather", "id": "call_1", "arguments_preview": ARGUMENTS}]
WITH_USAGE = {"stream_options": {"include_usage": True}}


def wire(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events as sent, each validated against the contract the ingest API applies."""
    sent = [json.loads(encode(e)) for e in events]
    for event in sent:
        EVENT_ADAPTER.validate_python(event)
    return sent


def assert_chat_recorded(ev: dict[str, Any], tokens: bool = True) -> None:
    assert (ev["provider"], ev["model"], ev["operation"]) == ("openai", MODEL, "chat")
    assert ev["response_model"] == "gpt-4o-mini-2024-07-18"
    assert ev["metadata"]["gen_ai.response.id"] == "chatcmpl-1"
    assert ev["finish_reason"] == "tool_calls" and ev["status"] == "ok"
    assert ev["tool_calls"] == CALLS
    assert ev["input_preview"] == "Weather in Paris?" and ev["output_preview"] == "It is sunny."
    if tokens:  # OpenAI's counts are OTel's: prompt includes cached, completion reasoning
        assert (ev["input_tokens"], ev["output_tokens"]) == (12, 10)
        assert (ev["cached_input_tokens"], ev["reasoning_tokens"]) == (4, 3)
    else:
        assert "input_tokens" not in ev and "output_tokens" not in ev


def assert_response_recorded(ev: dict[str, Any]) -> None:
    assert (ev["provider"], ev["model"]) == ("openai", RESPONSES_MODEL)
    assert ev["response_model"] == "gpt-4.1-mini-2025-04-14"
    assert ev["finish_reason"] == "completed" and ev["status"] == "ok"
    assert (ev["input_tokens"], ev["output_tokens"]) == (12, 10)
    assert (ev["cached_input_tokens"], ev["reasoning_tokens"]) == (4, 3)
    assert ev["tool_calls"] == CALLS
    assert ev["input_preview"] == "Weather in Paris?" and ev["output_preview"] == "It is sunny."


def test_chat_completion(recording_client):
    client, events = recording_client
    oa = instrument_openai(openai_client(), client)
    completion = oa.chat.completions.create(model=MODEL, messages=QUESTION)
    assert completion.usage.prompt_tokens == 12  # the host gets its response intact
    [ev] = wire(events)
    assert_chat_recorded(ev)
    assert ev["stream"] is False and "ttft_ms" not in ev


def test_streamed_chat_completion_marks_time_to_first_chunk(recording_client):
    client, events = recording_client
    oa = instrument_openai(openai_client(), client)
    chunks = list(
        oa.chat.completions.create(model=MODEL, messages=QUESTION, stream=True, **WITH_USAGE)
    )
    assert len(chunks) == len(CHUNKS) + 1  # the last one carries the usage
    list(oa.chat.completions.create(model=MODEL, messages=QUESTION, stream=True))
    with_usage, without = wire(events)
    assert_chat_recorded(with_usage)
    assert_chat_recorded(without, tokens=False)  # usage is only sent when asked for
    for ev in (with_usage, without):
        assert ev["stream"] is True and 0 <= ev["ttft_ms"] <= ev["latency_ms"]


def test_async_twins_and_the_stream_helper(recording_client):
    client, events = recording_client
    oa = instrument_openai(async_openai_client(), client)

    async def main() -> None:
        await oa.chat.completions.create(model=MODEL, messages=QUESTION)
        stream = await oa.chat.completions.create(
            model=MODEL, messages=QUESTION, stream=True, **WITH_USAGE
        )
        assert len([c async for c in stream]) == len(CHUNKS) + 1
        async with oa.chat.completions.stream(model=MODEL, messages=QUESTION, **WITH_USAGE) as s:
            final = await s.get_final_completion()
        assert final.choices[0].message.tool_calls[0].id == "call_1"

    asyncio.run(main())
    single, streamed, helped = wire(events)  # the helper calls create: one event, not two
    for ev in (single, streamed, helped):
        assert_chat_recorded(ev)
    assert streamed["stream"] is helped["stream"] is True and "ttft_ms" in helped


def test_responses_api(recording_client):
    client, events = recording_client
    oa = instrument_openai(openai_client(), client)
    question = [{"role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]}]
    response = oa.responses.create(model=RESPONSES_MODEL, input=question)
    assert response.output_text == "It is sunny."
    names = [
        e.type
        for e in oa.responses.create(model=RESPONSES_MODEL, input="Weather in Paris?", stream=True)
    ]
    assert names[-1] == "response.completed"
    single, streamed = wire(events)
    assert_response_recorded(single)
    assert_response_recorded(streamed)  # the final response, not the deltas twice
    assert streamed["stream"] is True and "ttft_ms" in streamed


def test_function_calls_link_to_the_tool_traced_runs(recording_client):
    client, events = recording_client
    oa = instrument_openai(openai_client(), client)

    @tool_traced(client=client)
    def get_weather(city: str) -> str:
        return "sunny"

    with client.trace("turn"):
        completion = oa.chat.completions.create(model=MODEL, messages=QUESTION)
        for call in completion.choices[0].message.tool_calls:
            get_weather(**json.loads(call.function.arguments))
    with client.trace("streamed turn"):
        for _ in oa.chat.completions.create(model=MODEL, messages=QUESTION, stream=True):
            pass
        get_weather("Paris")
    with client.trace("responses turn"):
        response = oa.responses.create(model=RESPONSES_MODEL, input="Weather in Paris?")
        for item in response.output:
            if item.type == "function_call":
                get_weather(**json.loads(item.arguments))
        get_weather("Lyon")  # asked for by nobody: no id to carry
    runs = [(e["tool_name"], e.get("tool_call_id")) for e in wire(events)
            if e["log_type"] == "tool_execution"]  # fmt: skip
    assert runs == [("get_weather", "call_1")] * 3 + [("get_weather", None)]


def test_api_errors_are_recorded_and_reraised_untouched(recording_client):
    client, events = recording_client
    limited = error(429, "Rate limit reached for gpt-4o-mini.", "requests", "rate_limit_exceeded")
    oa = instrument_openai(openai_client(limited), client)
    with pytest.raises(openai.RateLimitError) as raised:
        oa.chat.completions.create(model=MODEL, messages=QUESTION)
    assert raised.value.status_code == 429 and raised.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.RateLimitError):
        oa.chat.completions.create(model=MODEL, messages=QUESTION, stream=True)
    broken = error(500, "The server had an error.", "server_error", None)
    with pytest.raises(openai.InternalServerError):
        instrument_openai(openai_client(broken), client).responses.create(
            model=RESPONSES_MODEL, input="hi"
        )
    *limited_events, server_error = wire(events)
    for ev in limited_events:
        assert (ev["status"], ev["error_code"]) == ("error", "rate_limit_exceeded")
        assert ev["metadata"]["http.response.status_code"] == 429
        assert "Rate limit reached" in ev["error_message"]
    assert server_error["error_code"] == "server_error"  # no code in the body: its type
    assert server_error["metadata"]["http.response.status_code"] == 500


def test_an_error_inside_a_stream_is_recorded_with_what_came_before(recording_client):
    client, events = recording_client

    def cut(request: httpx2.Request) -> httpx2.Response:
        failure = {"error": {"message": "overloaded", "type": "server_error", "code": None}}
        return sse([*CHUNKS[:2], failure])

    oa = instrument_openai(openai_client(cut), client)
    with pytest.raises(openai.APIError):
        list(oa.chat.completions.create(model=MODEL, messages=QUESTION, stream=True))
    [ev] = wire(events)
    assert (ev["status"], ev["error_code"]) == ("error", "server_error")
    assert ev["output_preview"] == "It is "


def test_timeouts_are_status_timeout(recording_client):
    client, events = recording_client

    def silent(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("no answer", request=request)

    with pytest.raises(openai.APITimeoutError):
        instrument_openai(openai_client(silent), client).chat.completions.create(
            model=MODEL, messages=QUESTION
        )
    oa = instrument_openai(async_openai_client(silent), client)

    async def main() -> None:
        await oa.chat.completions.create(model=MODEL, messages=QUESTION, stream=True)

    with pytest.raises(openai.APITimeoutError):
        asyncio.run(main())
    outcomes = [(ev["status"], ev["stream"]) for ev in wire(events)]
    assert outcomes == [("timeout", False), ("timeout", True)]


def test_a_stream_abandoned_early_is_cancelled(recording_client):
    client, events = recording_client
    oa = instrument_openai(openai_client(), client)
    with oa.chat.completions.create(model=MODEL, messages=QUESTION, stream=True) as stream:
        next(stream), next(stream)
    stream = oa.chat.completions.create(model=MODEL, messages=QUESTION, stream=True)
    next(stream)
    del stream  # dropped without being closed
    gc.collect()
    aoa = instrument_openai(async_openai_client(), client)

    async def main() -> None:
        stream = await aoa.chat.completions.create(model=MODEL, messages=QUESTION, stream=True)
        await stream.__anext__()
        await stream.close()

    asyncio.run(main())
    closed, dropped, closed_async = wire(events)
    assert [e["status"] for e in (closed, dropped, closed_async)] == ["cancelled"] * 3
    assert closed["output_preview"] == "It is " and "ttft_ms" in closed
    assert "tool_calls" not in closed  # the model never finished asking


def test_instrument_is_idempotent_and_uninstrument_restores(recording_client):
    client, events = recording_client
    oa = openai_client()
    original = oa.chat.completions.create
    instrument_openai(oa, client)
    instrument_openai(oa, client)
    oa.chat.completions.create(model=MODEL, messages=QUESTION)
    assert len(events) == 1
    uninstrument_openai(oa)
    assert oa.chat.completions.create == original
    oa.chat.completions.create(model=MODEL, messages=QUESTION)
    oa.with_options(timeout=5).chat.completions.create(model=MODEL, messages=QUESTION)
    assert len(events) == 1


def test_clients_made_with_options_are_instrumented(recording_client):
    client, events = recording_client
    oa = instrument_openai(openai_client(), client)
    oa.with_options(timeout=5).chat.completions.create(model=MODEL, messages=QUESTION)
    oa.copy(max_retries=1).responses.create(model=RESPONSES_MODEL, input="hi")
    assert [e["model"] for e in wire(events)] == [MODEL, RESPONSES_MODEL]


def test_azure_clients_report_the_azure_provider(recording_client):
    client, events = recording_client
    azure = openai.AzureOpenAI(
        api_key="test-key", api_version="2024-10-21", azure_endpoint="https://x.openai.azure.com",
        http_client=httpx2.Client(transport=httpx2.MockTransport(ok)), max_retries=0,
    )  # fmt: skip
    instrument_openai(azure, client).chat.completions.create(model=MODEL, messages=QUESTION)
    assert wire(events)[0]["provider"] == "azure.ai.openai"


def test_raw_responses_are_timed_not_read(recording_client, caplog):
    client, events = recording_client
    oa = instrument_openai(openai_client(), client)
    raw = oa.chat.completions.with_raw_response.create(model=MODEL, messages=QUESTION)
    assert raw.parse().choices[0].message.content == "It is sunny."  # its body is the caller's
    [ev] = wire(events)
    assert ev["status"] == "ok" and "response_model" not in ev and "latency_ms" in ev
    assert not [r for r in caplog.records if r.name == "ollive_sdk"]


def test_with_the_client_off_calls_and_streams_are_untouched():
    off = ollive_sdk.Client(environ={}, enabled=False)
    oa = instrument_openai(openai_client(), off)
    assert oa.chat.completions.create(model=MODEL, messages=QUESTION).id == "chatcmpl-1"
    chunks = oa.chat.completions.create(model=MODEL, messages=QUESTION, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "It is sunny."
    assert off.stats().enqueued == 0


def test_the_integration_imports_no_provider_library():
    code = "import sys, ollive_sdk.integrations.openai; sys.exit('openai' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
