"""Spans and `@tool_traced`: what they record, and that the host's exceptions pass untouched."""

from __future__ import annotations

import asyncio
import json

import ollive_sdk
import pytest
from ollive_sdk import Client, tool_traced
from ollive_sdk.encode import encode


def wire(raw: dict) -> dict:
    return json.loads(encode(raw))


def test_inference_span_records_what_the_call_told_it(recording_client):
    client, events = recording_client
    with (
        ollive_sdk.context(conversation_id="c1", user_id="u1"),
        client.inference(provider="gcp.gemini", model="gemini-2.5-flash", input="hi") as span,
    ):
        span.first_chunk()
        span.set_usage(input_tokens=10, output_tokens=5, cached_input_tokens=2)
        span.set_finish_reason("stop")
        span.add_tool_call("get_weather", id="t1", arguments={"city": "Paris"})
        span.set_output("x" * 2_000)
        span.set_metadata("tier", "gold")
    [ev] = [wire(e) for e in events]
    assert ev["log_type"] == "inference" and ev["status"] == "ok"
    assert ev["event_id"] == span.event_id
    assert (ev["conversation_id"], ev["user_id"], ev["service"]) == ("c1", "u1", "unit")
    assert ev["input_tokens"] == 10 and ev["cached_input_tokens"] == 2
    assert ev["tool_calls"] == [
        {"name": "get_weather", "id": "t1", "arguments_preview": "{'city': 'Paris'}"}
    ]
    assert len(ev["output_preview"]) == 500 and ev["output_preview"].endswith("…")
    assert 0 <= ev["ttft_ms"] <= ev["latency_ms"]
    assert ev["started_at"] <= ev["finished_at"] and ev["started_at"].endswith("Z")
    assert ev["metadata"] == {"tier": "gold"}
    assert ev["sdk_name"] == "ollive-sdk-python"


@pytest.mark.parametrize(
    ("exc", "status"),
    [(ValueError("bad"), "error"), (TimeoutError("slow"), "timeout"),
     (KeyboardInterrupt(), "cancelled")],
)  # fmt: skip
def test_exceptions_are_recorded_and_reraised_untouched(recording_client, exc, status):
    client, events = recording_client
    with pytest.raises(type(exc)) as raised, client.inference(provider="p", model="m"):
        raise exc
    assert raised.value is exc
    ev = wire(events[0])
    assert ev["status"] == status and ev["error_code"] == type(exc).__name__


def test_asyncio_cancellation_is_status_cancelled(recording_client):
    client, events = recording_client

    async def call_model() -> None:
        with client.inference(provider="p", model="m"):
            await asyncio.sleep(10)

    async def main() -> None:
        task = asyncio.create_task(call_model())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert wire(events[0])["status"] == "cancelled"


def test_tool_traced_sync_and_async(recording_client):
    client, events = recording_client

    @tool_traced(client=client)
    def search(query: str, limit: int = 3) -> list[str]:
        return [query] * limit

    @tool_traced(name="fetch_page", client=client)
    async def fetch(url: str) -> str:
        await asyncio.sleep(0)
        raise ConnectionError("down")

    assert search("cats", limit=2) == ["cats", "cats"]
    with pytest.raises(ConnectionError):
        asyncio.run(fetch("http://x"))
    ok, failed = (wire(e) for e in events)
    assert (ok["tool_name"], ok["status"]) == ("search", "ok")
    assert ok["arguments_preview"] == "{'arg0': 'cats', 'limit': 2}"
    assert ok["result_preview"] == "['cats', 'cats']"
    assert (failed["tool_name"], failed["status"], failed["error_code"]) == (
        "fetch_page", "error", "ConnectionError",
    )  # fmt: skip
    assert search.__name__ == "search"  # functools.wraps kept the host's function identity


def test_tool_traced_without_capture_keeps_arguments_out(recording_client):
    client, events = recording_client

    @tool_traced(client=client, capture=False)
    def secret(token: str) -> str:
        return token

    secret("s3cr3t")
    ev = wire(events[0])
    assert "arguments_preview" not in ev and "result_preview" not in ev


def test_context_follows_tasks_and_threads(recording_client):
    client, events = recording_client

    def in_thread() -> None:
        with client.tool("threaded"):
            pass

    async def in_task() -> None:
        with client.tool("task"):
            pass
        await asyncio.to_thread(in_thread)

    async def main() -> None:
        with ollive_sdk.context(session_id="s1"):
            await asyncio.gather(in_task(), in_task())

    asyncio.run(main())
    import threading

    with ollive_sdk.context(conversation_id="c9"):
        t = threading.Thread(target=ollive_sdk.propagate(in_thread))
    t.start()
    t.join()
    sessions = [wire(e).get("session_id") for e in events[:4]]
    assert sessions == ["s1"] * 4
    assert wire(events[4])["conversation_id"] == "c9"


def test_nested_context_overrides_and_restores(recording_client):
    client, events = recording_client
    with ollive_sdk.context(conversation_id="outer", user_id="u"):
        with ollive_sdk.context(conversation_id="inner"):
            client.log("info", "a")
        client.log("info", "b")
    client.log("info", "c")
    a, b, c = (wire(e) for e in events)
    assert (a["conversation_id"], a["user_id"]) == ("inner", "u")
    assert b["conversation_id"] == "outer"
    assert "conversation_id" not in c


def test_disabled_client_is_a_no_op():
    client = Client(environ={}, enabled=False)
    with client.inference(provider="p", model="m") as span:
        span.set_usage(1, 1)
    client.log("error", "x")
    assert not client.enabled and span.event_id is None
    assert client.flush(0.1) and client.shutdown(0.1)
    assert client.stats().enqueued == 0


def test_no_endpoint_means_disabled():
    assert not Client(environ={"OLLIVE_API_KEY": "k"}).enabled


def test_sampling_counts_sampled_out_apart_from_drops(recording_client):
    client = Client(environ={}, endpoint="http://127.0.0.1:9", api_key="k", sample_rate=0.0)
    with client.inference(provider="p", model="m"):
        pass
    stats = client.stats()
    assert (stats.sampled_out, stats.enqueued, stats.dropped) == (1, 0, {})
    client.shutdown(0.1)


def test_a_broken_emit_never_reaches_the_host(recording_client):
    client, _ = recording_client

    def explode(event: dict) -> None:
        raise RuntimeError("sdk bug")

    client._emit = explode  # type: ignore[method-assign]
    with client.inference(provider="p", model="m"):
        pass
    client.log("info", "still fine")
