"""The trace tree: W3C ids on every event, and each event's parent is the span it ran in, across
decorators, asyncio tasks, threads and the google-genai integration."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import ollive_sdk
import pytest
from ollive_sdk import tool_traced, tracing
from ollive_sdk.integrations.google_genai import instrument_google_genai

from tests.fixtures.gemini_mock import MODEL, gemini
from tests.fixtures.trace_events import (
    ancestry,
    assert_w3c_ids,
    by_label,
    parent_of,
    recorder,
    wire,
)


@pytest.fixture
def app_log():
    """The logger of the code under test, shipped through the SDK's handler."""
    log = logging.getLogger("trace-tests.app")
    log.setLevel(logging.INFO)
    handlers: list[logging.Handler] = []

    def attach(client: ollive_sdk.Client) -> logging.Logger:
        handler = ollive_sdk.OlliveLogHandler(client)
        handlers.append(handler)
        log.addHandler(handler)
        return log

    yield attach
    for handler in handlers:
        log.removeHandler(handler)


def test_agent_step_model_call_tool_model_call(app_log):
    """The scripted conversation of issue 12, through the real google-genai client."""
    client, events = recorder()
    log = app_log(client)
    g = instrument_google_genai(gemini(), client)

    @tool_traced(client=client)
    def get_weather(city: str) -> dict:
        log.info("looking up %s", city)
        with client.inference(provider="internal", model="geocoder"):  # a model inside a tool
            pass
        return {"city": city, "sky": "sunny"}

    with client.trace("chat turn"), client.span("agent step", kind="agent"):
        first = g.models.generate_content(model=MODEL, contents="What's the weather in Paris?")
        for part in first.candidates[0].content.parts:
            if part.function_call is not None:
                get_weather(**part.function_call.args)
        g.models.generate_content(model=MODEL, contents="and now?")

    wired = wire(events)
    for event in wired:
        assert_w3c_ids(event)
    assert len({e["trace_id"] for e in wired}) == 1
    assert len({e["span_id"] for e in wired}) == len(wired)
    first_call, looking_up, geocoder, tool, second_call, step, turn = wired
    assert (first_call["model"], second_call["model"]) == (MODEL, MODEL)
    assert "parent_span_id" not in turn  # the root
    assert ancestry(step, wired) == ["chat turn"]
    assert step["metadata"]["ollive.span.kind"] == "agent"
    assert ancestry(first_call, wired) == ["agent step", "chat turn"]
    assert ancestry(tool, wired) == ["agent step", "chat turn"]
    assert ancestry(geocoder, wired) == ["get_weather", "agent step", "chat turn"]
    assert ancestry(looking_up, wired) == ["get_weather", "agent step", "chat turn"]
    assert ancestry(second_call, wired) == ["agent step", "chat turn"]
    assert tool["tool_call_id"] == "fc1" == first_call["tool_calls"][0]["id"]
    assert looking_up["message"] == "looking up Paris" and looking_up["level"] == "info"


def test_blocks_are_application_events_marked_as_spans():
    client, events = recorder()
    with client.trace("turn", metadata={"tenant": "acme"}), client.span("plan", kind="step") as s:
        s.set_metadata("attempt", 2)
    plan, turn = wire(events)
    assert (turn["log_type"], turn["logger"], turn["message"], turn["level"]) == (
        "application", "ollive.span", "turn", "info",
    )  # fmt: skip
    assert turn["metadata"] == {"tenant": "acme", "ollive.span.kind": "trace",
                                "ollive.span.status": "ok"}  # fmt: skip
    assert plan["metadata"] == {"attempt": 2, "ollive.span.kind": "step",
                                "ollive.span.status": "ok"}  # fmt: skip
    assert turn["started_at"] <= plan["started_at"] <= plan["finished_at"] <= turn["finished_at"]
    assert plan["parent_span_id"] == turn["span_id"] == s.span_context.parent_span_id
    assert "latency_ms" not in plan and "status" not in plan  # not application fields


def test_decorators_sync_and_async_record_and_reraise():
    client, events = recorder()

    @client.trace
    def handle(n: int) -> int:
        return step(n) + 1

    @client.span(kind="agent")
    def step(n: int) -> int:
        return n * 2

    @client.span("fetch", kind="tool-io")
    async def fetch(url: str) -> str:
        await asyncio.sleep(0)
        raise ConnectionError(f"{url} is down")

    assert handle(3) == 7
    with pytest.raises(ConnectionError) as raised:
        asyncio.run(fetch("http://x"))
    assert str(raised.value) == "http://x is down"
    assert (handle.__name__, fetch.__name__) == ("handle", "fetch")  # functools.wraps
    inner, outer, failed = wire(events)
    assert outer["message"].endswith("handle") and inner["message"].endswith("step")
    assert inner["parent_span_id"] == outer["span_id"]
    assert inner["metadata"]["ollive.span.kind"] == "agent"
    assert (failed["message"], failed["level"], failed["exception_type"]) == (
        "fetch", "error", "ConnectionError",
    )  # fmt: skip
    assert failed["exception_message"] == "http://x is down"
    assert failed["metadata"]["ollive.span.status"] == "error"
    assert "parent_span_id" not in failed  # a trace of its own


def test_each_call_of_a_decorated_function_is_a_span_of_its_own():
    client, events = recorder()

    @client.span
    def step() -> None:
        client.log("info", "inside")

    with client.trace("turn"):
        step()
        step()
    wired = wire(events)
    steps = [e for e in wired if e.get("logger") == "ollive.span" and e["message"] != "turn"]
    logs = [e for e in wired if e.get("message") == "inside"]
    assert len({s["span_id"] for s in steps}) == 2
    assert [log["parent_span_id"] for log in logs] == [s["span_id"] for s in steps]


def test_asyncio_tasks_each_nest_under_their_own_span():
    client, events = recorder()

    async def agent(name: str) -> None:
        with client.span(name, kind="agent"):
            await asyncio.sleep(0.01)  # the agents interleave
            with client.inference(provider="p", model=f"model-of-{name}"):
                await asyncio.sleep(0.01)
            await asyncio.to_thread(client.log, "info", f"log-of-{name}")

    async def turn() -> None:
        with client.trace("turn"):
            await asyncio.gather(*(asyncio.create_task(agent(f"a{i}")) for i in range(3)))

    asyncio.run(turn())
    wired = wire(events)
    nodes = by_label(wired)
    for i in range(3):
        assert ancestry(nodes[f"model-of-a{i}"], wired) == [f"a{i}", "turn"]
        assert ancestry(nodes[f"log-of-a{i}"], wired) == [f"a{i}", "turn"]
    assert tracing.current() is None


def test_threads_nest_through_propagate_and_start_their_own_trace_without_it():
    client, events = recorder()

    def work(name: str) -> None:
        with client.tool(name):
            client.log("info", f"log-of-{name}")

    with client.trace("batch"), ThreadPoolExecutor(4) as pool:
        list(pool.map(ollive_sdk.propagate(work), [f"job{i}" for i in range(8)]))
        pool.submit(work, "unbound").result()  # the pool's threads do not copy the context
        t = threading.Thread(target=ollive_sdk.propagate(work), args=("thread",))
        t.start()
        t.join()
    wired = wire(events)
    nodes = by_label(wired)
    batch = nodes["batch"]
    for name in [*(f"job{i}" for i in range(8)), "thread"]:
        assert ancestry(nodes[f"log-of-{name}"], wired) == [name, "batch"]
        assert nodes[name]["trace_id"] == batch["trace_id"]
    assert "parent_span_id" not in nodes["unbound"]
    assert nodes["unbound"]["trace_id"] != batch["trace_id"]


def test_a_block_restores_the_span_it_found_even_when_its_body_raises():
    client, _ = recorder()
    with client.trace("outer") as outer:
        with pytest.raises(KeyError), client.span("inner"):
            assert tracing.current() is not outer.span_context
            raise KeyError("k")
        assert tracing.current() is outer.span_context
    assert tracing.current() is None


def test_events_outside_any_span_are_roots_of_their_own_trace(app_log):
    client, events = recorder()
    app_log(client).warning("standalone")
    with client.tool("search"):
        pass
    log, tool = wire(events)
    for event in (log, tool):
        assert_w3c_ids(event)
        assert "parent_span_id" not in event and event["sample_rate"] == 1.0
    assert log["trace_id"] != tool["trace_id"]


def test_a_streamed_call_is_not_current_between_its_chunks():
    """The consumer's own code between chunks belongs to the consumer's span, not the stream's."""
    client, events = recorder()
    g = instrument_google_genai(gemini(), client)
    with client.trace("turn"):
        for _ in g.models.generate_content_stream(model=MODEL, contents="hi"):
            client.log("info", "between chunks")
    wired = wire(events)
    turn = wired[-1]
    assert [parent_of(e, wired) for e in wired[:-1]] == [turn] * (len(wired) - 1)


def test_traceparent_continues_a_trace_from_another_process():
    client, events = recorder()
    with client.trace("producer") as producer:
        header = producer.span_context.traceparent
    with client.trace("consumer", traceparent=header):
        client.log("info", "consumed")
    with client.trace("fresh", traceparent="00-" + "0" * 32 + "-" + "1" * 16 + "-01"):  # invalid
        pass
    prod, consumed, consumer, fresh = wire(events)
    assert header == f"00-{prod['trace_id']}-{prod['span_id']}-01"
    assert consumer["trace_id"] == prod["trace_id"]
    assert consumer["parent_span_id"] == prod["span_id"]
    assert consumed["parent_span_id"] == consumer["span_id"]
    assert fresh["trace_id"] != prod["trace_id"] and "parent_span_id" not in fresh


def test_module_level_blocks_use_the_process_wide_client(monkeypatch):
    client, events = recorder()
    monkeypatch.setattr(ollive_sdk.client, "_default", client)

    @ollive_sdk.span(kind="agent")
    async def plan() -> str:
        return "ok"

    with ollive_sdk.trace("turn"):
        assert asyncio.run(plan()) == "ok"
    step, turn = wire(events)
    assert step["parent_span_id"] == turn["span_id"]


def test_a_disabled_client_hands_out_blocks_that_do_nothing():
    client = ollive_sdk.Client(environ={}, enabled=False)

    @client.span
    def step() -> int:
        return 1

    with client.trace("turn") as turn:
        assert step() == 1
        assert tracing.current() is None
    assert turn.span_context is None and not turn.recording


def test_a_forked_child_draws_ids_of_its_own():
    """Without a reseed at fork, parent and child would draw the same next trace id."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, tracing.new_trace_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    os.close(write)
    assert len(child) == 32 and child != tracing.new_trace_id()
