"""A scripted conversation through the real pipeline, reconstructed exactly: SDK → ingest API →
S3 → Dagster loads → dbt → `fct_traces` / `fct_conversations`, then shown by Superset in the
browser, drilled down to that conversation and that trace.

The script (times are offsets from a start two hours ago; the SDK reads a scripted clock, so
every start, end and latency is known before anything is sent):

    turn 1  trace "chat turn"                        0.000 → 2.310
              span "plan and act" (agent)            0.010 → 2.300
                model call gemini-2.5-flash          0.020 → 0.820  asks get_weather (call_w1)
                tool get_weather                     0.830 → 1.080  answers call_w1
                model call gemini-2.5-flash          1.090 → 2.290
    turn 2  trace "chat turn"                       30.000 → 30.620
                model call gpt-4o-mini              30.010 → 30.610
    feedback, an hour after turn 1 and sent once the conversation is in the marts:
      thumbs = false on turn 1's trace, helpfulness = 2 on the conversation
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import UTC, datetime

import ollive_sdk
import pytest

from ollive_contract.tables import MARTS_DATABASE
from tests.fixtures.superset import ARTIFACTS
from tests.fixtures.trace_events import ScriptedClock, use_clock

SERVICE = "scripted-support-bot"
START_OFFSET_S = 2 * 3600  # the conversation starts two hours ago; feedback comes one hour later
# USD per million tokens, input / output (dbt_project/seeds/model_prices.csv, current rows)
PRICES = {"gemini-2.5-flash": (0.30, 2.50), "gpt-4o-mini": (0.15, 0.60)}
# (model, input tokens, output tokens, start offset s, end offset s) of the three model calls
CALLS = [
    ("gemini-2.5-flash", 12_000, 400, 0.020, 0.820),
    ("gemini-2.5-flash", 14_000, 1_200, 1.090, 2.290),
    ("gpt-4o-mini", 16_000, 800, 30.010, 30.610),
]
TOOL = ("get_weather", 0.830, 1.080)
TURN_1 = (0.000, 2.310)
TURN_2 = (30.000, 30.620)
FEEDBACK_AT = 3600.0


def cost(model: str, input_tokens: int, output_tokens: int) -> float:
    price_in, price_out = PRICES[model]
    return (input_tokens * price_in + output_tokens * price_out) / 1e6


# Hand-computed facts of the script.
TRACE_1 = {
    "root_name": "chat turn",
    "count_spans": 5,  # the turn, the agent step, two model calls, the tool
    "tree_depth": 3,  # turn → agent step → model calls and tool
    "count_inferences": 2,
    "count_tool_executions": 1,
    "count_errors": 0,
    "input_tokens": 26_000,
    "output_tokens": 1_600,
    "cost_usd": cost(*CALLS[0][:3]) + cost(*CALLS[1][:3]),  # 0.0046 + 0.0072
    "duration_ms": 2310.0,
}
TRACE_2 = {
    "root_name": "chat turn",
    "count_spans": 2,
    "tree_depth": 2,
    "count_inferences": 1,
    "count_tool_executions": 0,
    "count_errors": 0,
    "input_tokens": 16_000,
    "output_tokens": 800,
    "cost_usd": cost(*CALLS[2][:3]),  # 0.00288
    "duration_ms": 620.0,
}
CONVERSATION = {
    "count_turns": 2,
    "count_inferences": 3,
    "count_tool_executions": 1,
    "count_errors": 0,
    "input_tokens": 42_000,
    "output_tokens": 2_400,
    "cost_usd": TRACE_1["cost_usd"] + TRACE_2["cost_usd"],  # 0.01468
    "inference_latency_p50_ms": 800.0,  # of 800, 1200 and 600 ms
    "inference_latency_p95_ms": 1200.0,  # quantileExact: the value at floor(0.95 * 3) = 2
    "inference_latency_total_ms": 2600.0,
    "duration_ms": 30_620.0,  # first start (turn 1) to last end (turn 2)
    "count_scores": 2,
    "mean_numeric_score": 2.0,
    "count_negative_scores": 1,
}


def send_conversation(client: ollive_sdk.Client, clock: ScriptedClock, ids: dict) -> dict:
    """Run the script through the SDK; returns the trace ids of the two turns."""
    with ollive_sdk.context(
        conversation_id=ids["conversation"], session_id=ids["session"], user_id="user-scripted"
    ):
        clock.at(TURN_1[0])
        with client.trace("chat turn") as turn_1:
            clock.at(0.010)
            with client.span("plan and act", kind="agent"):
                model, tokens_in, tokens_out, start, end = CALLS[0]
                clock.at(start)
                with client.inference(
                    provider="gcp.gemini", model=model, input="What's the weather in Lisbon?"
                ) as call:
                    clock.at(end)
                    call.add_tool_call("get_weather", id="call_w1", arguments={"city": "Lisbon"})
                    call.set_usage(input_tokens=tokens_in, output_tokens=tokens_out)
                name, start, end = TOOL
                clock.at(start)
                with client.tool(name, arguments={"city": "Lisbon"}) as tool:
                    clock.at(end)
                    tool.set_result({"city": "Lisbon", "temperature_c": 21, "sky": "clear"})
                model, tokens_in, tokens_out, start, end = CALLS[1]
                clock.at(start)
                with client.inference(provider="gcp.gemini", model=model) as call:
                    clock.at(end)
                    call.set_output("It is 21°C and clear in Lisbon right now.")
                    call.set_usage(input_tokens=tokens_in, output_tokens=tokens_out)
                clock.at(2.300)
            clock.at(TURN_1[1])
        clock.at(TURN_2[0])
        with client.trace("chat turn") as turn_2:
            model, tokens_in, tokens_out, start, end = CALLS[2]
            clock.at(start)
            with client.inference(provider="openai", model=model, input="And tomorrow?") as call:
                clock.at(end)
                call.set_output("Tomorrow looks sunny in Lisbon too.")
                call.set_usage(input_tokens=tokens_in, output_tokens=tokens_out)
            clock.at(TURN_2[1])
    assert client.flush(timeout=30)
    return {"turn_1": turn_1.trace_id, "turn_2": turn_2.trace_id}


def send_feedback(client: ollive_sdk.Client, clock: ScriptedClock, ids: dict) -> None:
    """The user rates from the conversation's page (its context), as the chatbot's users do:
    the Scores tile is narrowed by the conversation the score was written in."""
    clock.at(FEEDBACK_AT)
    with ollive_sdk.context(conversation_id=ids["conversation"], session_id=ids["session"]):
        client.score("thumbs", False, trace_id=ids["turn_1"], comment="the forecast was wrong")
        client.score("helpfulness", 2, conversation_id=ids["conversation"], author_kind="user")
    assert client.flush(timeout=30)


def wait_for(query, check, what: str, timeout_s: float = 600) -> list[dict]:
    """Poll `query` (rows as dicts) until `check(rows)`; fail with the last rows."""
    deadline = time.monotonic() + timeout_s
    rows: list[dict] = []
    while time.monotonic() < deadline:
        try:
            rows = list(query().named_results())
        except Exception:  # a mart dbt has not created yet
            rows = []
        if check(rows):
            return rows
        time.sleep(3)
    raise AssertionError(f"{what} never settled: {rows}")


def epoch(at: datetime) -> float:
    """Epoch seconds of a ClickHouse DateTime64 (UTC, naive or not)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def assert_facts(row: dict, want: dict) -> None:
    for column, value in want.items():
        expected = value if isinstance(value, str) else pytest.approx(value, rel=1e-9, abs=1e-9)
        assert row[column] == expected, (column, row[column])


@pytest.fixture(scope="module")
def scripted(embedded_stack, monkeypatch_module) -> dict:
    """The script sent through the pipeline, its feedback an hour later sent once the
    conversation is in the marts; the ids and the marts' rows."""
    settings = embedded_stack.settings
    ch = embedded_stack.clickhouse(readonly=True)
    start = float(math.floor(time.time()) - START_OFFSET_S)
    clock = ScriptedClock(start)
    use_clock(monkeypatch_module, clock)
    client = ollive_sdk.Client(
        endpoint=settings.ingest.url,
        api_key=settings.ingest.demo_api_key.get_secret_value(),
        service=SERVICE,
    )
    suffix = uuid.uuid4().hex[:8]
    ids = {"conversation": f"conv-scripted-{suffix}", "session": f"sess-scripted-{suffix}"}
    ids.update(send_conversation(client, clock, ids))
    m = MARTS_DATABASE

    def conversation():
        return ch.query(
            f"select * from {m}.fct_conversations where conversation_id = %(c)s",
            parameters={"c": ids["conversation"]},
        )

    wait_for(
        conversation,
        lambda rows: len(rows) == 1 and rows[0]["count_turns"] == 2
        and rows[0]["count_tool_executions"] == 1,
        "the conversation",
    )  # fmt: skip
    traces = wait_for(
        lambda: ch.query(
            f"select * from {m}.fct_traces where conversation_id = %(c)s order by started_at",
            parameters={"c": ids["conversation"]},
        ),
        lambda rows: [r["count_spans"] for r in rows] == [5, 2],
        "the two traces",
    )
    send_feedback(client, clock, ids)
    client.shutdown(timeout=5)
    (row,) = wait_for(conversation, lambda rows: rows and rows[0]["count_scores"] == 2, "feedback")
    return {"ids": ids, "start": start, "conversation": row, "traces": traces, "ch": ch}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_traces_are_reconstructed_exactly(scripted) -> None:
    turn_1, turn_2 = scripted["traces"]
    assert (turn_1["trace_id"], turn_2["trace_id"]) == (
        scripted["ids"]["turn_1"],
        scripted["ids"]["turn_2"],
    )
    assert_facts(turn_1, TRACE_1)
    assert_facts(turn_2, TRACE_2)
    assert turn_1["span_names"] == [
        "chat turn", "plan and act", "gemini-2.5-flash", "get_weather", "gemini-2.5-flash",
    ]  # fmt: skip
    assert epoch(turn_1["started_at"]) == pytest.approx(scripted["start"], abs=1e-6)
    assert turn_1["service"] == SERVICE and turn_1["root_event_type"] == "span"


def test_each_span_has_its_parent_and_the_tool_answers_the_model_call(scripted) -> None:
    ch, trace_id = scripted["ch"], scripted["ids"]["turn_1"]
    m = MARTS_DATABASE
    spans = {
        r["name"]: r
        for r in ch.query(
            f"select message as name, span_id, parent_span_id, null as tool_call_id, "
            f"toFloat64(dateDiff('millisecond', logged_at, finished_at)) as latency_ms "
            f"from {m}.fct_application_logs where trace_id = %(t)s and is_span "
            f"union all select tool_name, span_id, parent_span_id, tool_call_id, latency_ms "
            f"from {m}.fct_tool_executions where trace_id = %(t)s "
            f"union all select concat(model, ' @', toString(toUnixTimestamp64Milli(started_at))),"
            f" span_id, parent_span_id, null, latency_ms "
            f"from {m}.fct_inferences where trace_id = %(t)s",
            parameters={"t": trace_id},
        ).named_results()
    }
    at = scripted["start"]
    first = f"gemini-2.5-flash @{round((at + CALLS[0][3]) * 1000)}"
    second = f"gemini-2.5-flash @{round((at + CALLS[1][3]) * 1000)}"
    assert sorted(spans) == sorted(["chat turn", "plan and act", "get_weather", first, second])
    assert spans["chat turn"]["parent_span_id"] is None
    assert spans["plan and act"]["parent_span_id"] == spans["chat turn"]["span_id"]
    for child in ("get_weather", first, second):
        assert spans[child]["parent_span_id"] == spans["plan and act"]["span_id"], child
    assert spans["get_weather"]["tool_call_id"] == "call_w1"
    want_ms = {
        "chat turn": 2310,
        "plan and act": 2290,
        "get_weather": 250,
        first: 800,
        second: 1200,
    }
    for name, ms in want_ms.items():
        assert spans[name]["latency_ms"] == pytest.approx(ms, abs=1e-6), name


def test_conversation_is_reconstructed_with_its_late_feedback(scripted) -> None:
    row = scripted["conversation"]
    assert_facts(row, CONVERSATION)
    assert row["service"] == SERVICE and row["session_id"] == scripted["ids"]["session"]
    assert epoch(row["first_activity_at"]) == pytest.approx(scripted["start"], abs=1e-6)
    assert epoch(row["last_scored_at"]) == pytest.approx(scripted["start"] + FEEDBACK_AT, abs=1e-6)


def cells(tile: dict) -> list[dict[str, str]]:
    """A rendered table tile's rows as {column header: cell text}."""
    table = tile["table"]
    return [dict(zip(table["headers"], row, strict=True)) for row in table["rows"]]


def number(text: str) -> float:
    return float(text.replace("$", "").replace(",", "").strip())


def test_the_dashboards_show_the_facts_in_the_browser(superset, scripted) -> None:
    ids, conversation = scripted["ids"], scripted["conversation"]
    turn_1 = scripted["traces"][0]
    rendered = superset.render(
        ["conversations", "traces"],
        ARTIFACTS,
        filters={
            "conversations": {
                "NATIVE_FILTER-conv-service": ("service", [SERVICE]),
                "NATIVE_FILTER-conv-conversation": ("conversation_id", [ids["conversation"]]),
            },
            "traces": {
                "NATIVE_FILTER-trace-service": ("service", [SERVICE]),
                "NATIVE_FILTER-trace-trace": ("trace_id", [ids["turn_1"]]),
            },
        },
        suffix="scripted",
    )
    tiles = {t["name"]: t for t in rendered["conversations"]["charts"]}
    (top,) = cells(tiles["Top conversations"])
    assert top["Conversation"] == ids["conversation"]
    assert number(top["Cost (USD)"]) == round(conversation["cost_usd"], 4)
    assert [int(number(top[c])) for c in ("Turns", "Model calls", "Tool runs", "Errors")] == [
        conversation["count_turns"],
        conversation["count_inferences"],
        conversation["count_tool_executions"],
        conversation["count_errors"],
    ]
    # shown to the millisecond (",.0f"); the fact carries the clock's float noise
    assert number(top["Model latency p95 (ms)"]) == round(conversation["inference_latency_p95_ms"])
    assert number(top["Duration (s)"]) == round(conversation["duration_ms"] / 1000, 1)
    assert int(number(top["Thumbs down"])) == conversation["count_negative_scores"]
    assert number(top["Mean score"]) == conversation["mean_numeric_score"]

    turns = cells(tiles["Conversation turns"])
    labels = [r["Span"] for r in turns]
    assert labels == [
        "chat turn", "· plan and act", "· · gemini-2.5-flash", "· · get_weather",
        "· · gemini-2.5-flash", "chat turn", "· gpt-4o-mini",
    ], labels  # fmt: skip
    scores = cells(tiles["Scores and feedback"])
    assert sorted(r["Score"] for r in scores) == ["helpfulness", "thumbs"]

    tiles = {t["name"]: t for t in rendered["traces"]["charts"]}
    (slowest,) = [r for r in cells(tiles["Slowest traces"]) if r["Trace"] == ids["turn_1"]]
    assert number(slowest["Duration (ms)"]) == turn_1["duration_ms"]
    assert int(number(slowest["Spans"])) == turn_1["count_spans"]
    assert int(number(slowest["Depth"])) == turn_1["tree_depth"]
    assert number(slowest["Cost (USD)"]) == round(turn_1["cost_usd"], 4)
    spans = cells(tiles["Trace spans"])
    assert [(r["Span"], int(number(r["Depth"]))) for r in spans] == [
        ("chat turn", 1), ("· plan and act", 2), ("· · gemini-2.5-flash", 3),
        ("· · get_weather", 3), ("· · gemini-2.5-flash", 3),
    ]  # fmt: skip
    assert {r["Trace"] for r in spans} == {ids["turn_1"]}
