"""The simulator: the same seed gives the same run on all three providers, and its counts are the
events it emitted."""

from __future__ import annotations

import re
from pathlib import Path

from chatbot.backends import provider_of
from chatbot.scenarios import MODELS, plan
from chatbot.simulate import simulate
from chatbot.traffic import send_traffic
from ollive_contract.events import EVENT_ADAPTER
from tests.fixtures.chatbot import fast_settings

ROOT = Path(__file__).resolve().parents[2]


def test_plan_is_deterministic_for_a_seed() -> None:
    assert plan(30, seed=5) == plan(30, seed=5) != plan(30, seed=6)
    providers = [provider_of(c.model) for c in plan(300, seed=5)]
    assert {p: providers.count(p) > 30 for p in ("gemini", "openai", "anthropic")} == {
        "gemini": True, "openai": True, "anthropic": True}  # fmt: skip
    assert {provider_of(m) for m, _ in MODELS} == {"gemini", "openai", "anthropic"}
    messages = " ".join(t.message for c in plan(200, seed=5) for t in c.turns)
    assert re.search(r"[\w.]+@example\.com", messages) and re.search(r"\+1 415 555", messages)


def test_runs_are_deterministic_for_a_seed(sdk) -> None:
    def run():
        settings = fast_settings(time_scale=0.0, error_rate=0.1, retries=0, seed=11)
        return simulate(settings, sdk, conversations=40, concurrency=8)

    first, second = run(), run()
    assert first.outcomes == second.outcomes
    hows = {how for _, _, how, _ in first.outcomes}
    assert hows == {"answered", "error", "cancelled"}  # every path taken
    assert first.tool_calls > 0 and first.model_calls > first.turns


def test_traffic_summary_counts_what_was_emitted_and_it_fits_the_contract(sdk, captured) -> None:
    summary = send_traffic(sdk, conversations=30, seed=3, time_scale=0.0, concurrency=8)
    inferences = captured("inference")
    assert summary.inferences == len(inferences) > 30
    assert sorted(summary.event_ids) == sorted(e["event_id"] for e in inferences)
    assert summary.tool_calls == len(captured("tool_execution")) > 0
    assert summary.logs == len(captured("application")) > 0
    turns = [e for e in captured("application") if e["logger"] == "ollive.span"]
    assert len(turns) == sum(len(c.turns) for c in plan(30, seed=3))  # one trace per turn
    assert summary.errors == sum(e["status"] == "error" for e in inferences)
    statuses = {e["status"] for e in inferences}
    assert {"ok", "error", "cancelled"} <= statuses
    for event in captured():  # every kind and outcome the chatbot emits, as sent on the wire
        EVENT_ADAPTER.validate_python(event)


PROVIDERS = {"gcp.gemini", "openai", "anthropic"}


def test_a_run_sends_every_provider_through_its_real_client_with_tools_linked(
    sdk, captured
) -> None:
    settings = fast_settings(time_scale=0.0, error_rate=0.1, retries=0, seed=4)
    summary = simulate(settings, sdk, conversations=40, concurrency=8)
    inferences = captured("inference")
    assert len(inferences) == summary.model_calls
    by_provider = {p: [e for e in inferences if e["provider"] == p] for p in PROVIDERS}
    for provider, events in by_provider.items():
        assert events, provider
        for event in events:
            EVENT_ADAPTER.validate_python(event)
        statuses = {e["status"] for e in events}
        assert "ok" in statuses and "error" in statuses, (provider, statuses)
        assert any(e["stream"] and e.get("ttft_ms") for e in events), provider
        assert any(e.get("tool_calls") for e in events), provider
        ok = [e for e in events if e["status"] == "ok"]
        assert all(e["input_tokens"] > 0 and e["output_tokens"] > 0 for e in ok), provider
        assert all(e["response_model"].startswith(e["model"]) for e in ok), provider
    # every tool run answers a function call some model call asked for, in the same trace
    asked = {c["id"]: e for e in inferences for c in e.get("tool_calls", [])}
    tools = captured("tool_execution")
    assert tools and all(t["tool_call_id"] in asked for t in tools)
    assert all(asked[t["tool_call_id"]]["trace_id"] == t["trace_id"] for t in tools)
    assert {asked[t["tool_call_id"]]["provider"] for t in tools} == PROVIDERS
    errors = {e.get("error_code") for e in inferences if e["status"] == "error"}
    assert {"RESOURCE_EXHAUSTED", "rate_limit_exceeded", "rate_limit_error"} <= errors
