"""The offline responder answers through the real google-genai client, and the SDK's
integration records what a live Gemini answer would give it."""

from __future__ import annotations

import asyncio

import pytest
from google.genai import errors, types

from chatbot.gemini import make_genai_client
from chatbot.responder import OfflineResponder
from chatbot.tools import TOOLS
from tests.fixtures.chatbot import fast_settings

MODEL = "gemini-2.5-flash"
WITH_TOOLS = types.GenerateContentConfig(tools=TOOLS)


def test_function_call_and_usage_reach_the_inference_event(sdk, captured) -> None:
    g = make_genai_client(fast_settings(), sdk)
    response = g.models.generate_content(
        model=MODEL, contents="What's the weather in Lisbon?", config=WITH_TOOLS
    )
    assert isinstance(response, types.GenerateContentResponse)
    [call] = response.function_calls
    assert (call.name, call.args) == ("get_weather", {"city": "Lisbon"})
    usage = response.usage_metadata
    [ev] = captured("inference")
    assert (ev["provider"], ev["model"], ev["response_model"]) == ("gcp.gemini", MODEL, MODEL)
    assert ev["status"] == "ok" and ev["finish_reason"] == "stop" and ev["stream"] is False
    assert ev["input_tokens"] == usage.prompt_token_count
    assert ev["output_tokens"] == usage.candidates_token_count + usage.thoughts_token_count
    assert ev["reasoning_tokens"] == usage.thoughts_token_count > 0
    assert ev["tool_calls"] == [
        {"name": "get_weather", "id": call.id, "arguments_preview": "{'city': 'Lisbon'}"}
    ]
    assert ev["input_preview"] == "What's the weather in Lisbon?"
    assert ev["latency_ms"] > 0 and "ttft_ms" not in ev


def test_cached_tokens_in_a_multi_turn_request(sdk, captured) -> None:
    g = make_genai_client(fast_settings(time_scale=0.0), sdk)
    turn = [
        types.Content(role="user", parts=[types.Part(text="Hello there")]),
        types.Content(role="model", parts=[types.Part(text="Hi! How can I help?")]),
    ]
    for i in range(12):  # 60% of multi-turn requests hit the implicit cache
        contents = [*turn, types.Content(role="user", parts=[types.Part(text=f"Question {i}")])]
        g.models.generate_content(model=MODEL, contents=contents)
    cached = [e.get("cached_input_tokens", 0) for e in captured("inference")]
    assert any(cached) and all(c < e["input_tokens"] for c, e in
                               zip(cached, captured("inference"), strict=True))  # fmt: skip


def test_stream_has_time_to_first_chunk_and_the_whole_text(sdk, captured) -> None:
    g = make_genai_client(fast_settings(), sdk)
    chunks = list(g.models.generate_content_stream(
        model="gemini-2.5-pro", contents="Hi, my email is ana@example.org. Which plan is best?"
    ))  # fmt: skip
    assert len(chunks) > 2 and all(isinstance(c, types.GenerateContentResponse) for c in chunks)
    text = "".join(c.text or "" for c in chunks)
    [ev] = captured("inference")
    assert ev["stream"] is True and ev["model"] == "gemini-2.5-pro"
    assert 0 < ev["ttft_ms"] < ev["latency_ms"]
    assert ev["output_preview"] == text and "ana@example.org" in text  # PII for redaction
    assert ev["output_tokens"] > chunks[0].usage_metadata.candidates_token_count


@pytest.mark.parametrize(("rate_limited", "code", "status"),
                         [(True, 429, "RESOURCE_EXHAUSTED"), (False, 500, "INTERNAL")])  # fmt: skip
def test_errors_are_gemini_api_errors_with_their_status(
    sdk, captured, monkeypatch, rate_limited, code, status
) -> None:
    monkeypatch.setattr("random.Random.random", lambda self: 0.0 if rate_limited else 0.99)
    g = make_genai_client(fast_settings(error_rate=1.0, time_scale=0.0), sdk)
    with pytest.raises(errors.APIError) as raised:
        g.models.generate_content(model=MODEL, contents="hello")
    assert (raised.value.code, raised.value.status) == (code, status)
    [ev] = captured("inference")
    assert (ev["status"], ev["error_code"]) == ("error", status)


def test_cancelled_stream_is_recorded_as_cancelled(sdk, captured) -> None:
    g = make_genai_client(fast_settings(time_scale=1.0), sdk)

    async def consume() -> None:
        stream = await g.aio.models.generate_content_stream(model="gemini-2.5-pro", contents="Hi")
        async for _ in stream:
            pass

    async def main() -> None:
        task = asyncio.create_task(consume())
        await asyncio.sleep(0.2)  # pro takes about 1.6 s to its first token
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    [ev] = captured("inference")
    assert ev["status"] == "cancelled" and "ttft_ms" not in ev


def test_replies_are_deterministic_for_a_seed() -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "Tell me something"}]}]}

    def replies(seed: int) -> list[dict]:
        responder = OfflineResponder(seed=seed, time_scale=1.0, error_rate=0.2)
        return [[c.body | {"d": c.delay_s} for c in responder.respond(MODEL, body, True).chunks]
                for _ in range(5)]  # fmt: skip

    assert replies(1) == replies(1) != replies(2)
