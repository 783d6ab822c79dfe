"""The simulator: the same seed gives the same run, and its counts are the events it emitted."""

from __future__ import annotations

import re
from pathlib import Path

from chatbot.scenarios import plan
from chatbot.simulate import simulate
from chatbot.traffic import send_traffic
from ollive_contract.events import EVENT_ADAPTER
from tests.fixtures.chatbot import fast_settings

ROOT = Path(__file__).resolve().parents[2]


def test_plan_is_deterministic_for_a_seed() -> None:
    assert plan(30, seed=5) == plan(30, seed=5) != plan(30, seed=6)
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
    assert summary.errors == sum(e["status"] == "error" for e in inferences)
    statuses = {e["status"] for e in inferences}
    assert {"ok", "error", "cancelled"} <= statuses
    for event in captured():  # every kind and outcome the chatbot emits, as sent on the wire
        EVENT_ADAPTER.validate_python(event)
