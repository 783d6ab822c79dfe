"""Tool events carry the id of the model's function call they answer (`tool_call_id`)."""

from __future__ import annotations

import asyncio

import ollive_sdk
from ollive_sdk import tool_call_id, tool_traced
from ollive_sdk.integrations.google_genai import instrument_google_genai

from tests.fixtures.gemini_mock import MODEL, gemini
from tests.fixtures.trace_events import recorder, wire


def ask_model(client: ollive_sdk.Client, *calls: tuple[str, str]) -> None:
    """A model call that asks for these (name, id) function calls."""
    with client.inference(provider="p", model="m") as span:
        for name, call_id in calls:
            span.add_tool_call(name, id=call_id, arguments={})


def tool_ids(events: list[dict]) -> list[tuple[str, str | None]]:
    return [(e["tool_name"], e.get("tool_call_id")) for e in wire(events)
            if e["log_type"] == "tool_execution"]  # fmt: skip


def test_google_genai_function_calls_link_to_the_tool_traced_runs():
    client, events = recorder()
    g = instrument_google_genai(gemini(), client)

    @tool_traced(client=client)
    async def get_weather(city: str) -> str:
        return "sunny"

    async def turn() -> None:
        with client.trace("turn"):
            response = await g.aio.models.generate_content(model=MODEL, contents="Paris?")
            for call in response.function_calls or []:
                await get_weather(**call.args)
            await get_weather("Lyon")  # asked for by nobody: no id to carry

    asyncio.run(turn())
    assert tool_ids(events) == [("get_weather", "fc1"), ("get_weather", None)]


def test_an_explicit_id_goes_to_the_first_tool_run_inside_the_block():
    client, events = recorder()

    @tool_traced(client=client)
    def search(query: str) -> list[str]:
        lookup(query)  # a tool inside the tool: not the one the model called
        return []

    @tool_traced(client=client)
    def lookup(query: str) -> None:
        pass

    with tool_call_id("call_7"):
        search("cats")
    search("dogs")
    with client.tool("manual", call_id="given") as _:
        pass
    assert tool_ids(events) == [("lookup", None), ("search", "call_7"), ("lookup", None),
                                ("search", None), ("manual", "given")]  # fmt: skip


def test_each_function_call_is_answered_once_in_the_order_asked():
    client, events = recorder()
    with client.trace("turn"):
        ask_model(client, ("search", "s1"), ("search", "s2"), ("weather", "w1"))
        for name in ("weather", "search", "search", "search"):
            with client.tool(name):
                pass
    assert tool_ids(events) == [("weather", "w1"), ("search", "s1"), ("search", "s2"),
                                ("search", None)]  # fmt: skip


def test_a_model_call_wrapped_in_a_span_still_links_to_the_tools_run_after_it():
    client, events = recorder()

    @client.span(kind="llm")
    def call_model() -> None:
        ask_model(client, ("search", "s1"))

    with client.trace("turn"):
        call_model()
        with client.span("run tools"), client.tool("search"):
            pass
    assert tool_ids(events) == [("search", "s1")]


def test_parallel_agents_keep_their_own_calls():
    client, events = recorder()

    async def agent(name: str, call_id: str, delay: float) -> None:
        with client.span(name, kind="agent"):
            ask_model(client, ("search", call_id))
            await asyncio.sleep(delay)
            with client.tool("search", metadata={"agent": name}):
                pass

    async def turn() -> None:
        with client.trace("turn"):
            await asyncio.gather(agent("slow", "a1", 0.05), agent("fast", "b1", 0.0))

    asyncio.run(turn())
    runs = {e["metadata"]["agent"]: e["tool_call_id"] for e in wire(events)
            if e["log_type"] == "tool_execution"}  # fmt: skip
    assert runs == {"slow": "a1", "fast": "b1"}


def test_outside_any_span_only_an_explicit_id_links():
    client, events = recorder()
    ask_model(client, ("search", "s1"))
    with client.tool("search"):
        pass
    with tool_call_id("s1"), client.tool("search"):
        pass
    assert tool_ids(events) == [("search", None), ("search", "s1")]
