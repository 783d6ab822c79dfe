"""For the demo's traffic, which went through the whole pipeline, the chart data API (each chart's
saved query context) returns what the ClickHouse facts give for the same filters."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from ollive.demo import DEMO_SERVICE
from superset_config.bundle import BUNDLE_DIR
from tests.fixtures.superset import CHARTS_WITHOUT_DEMO_DATA

# The charts' saved time range is "Last day" (rolling: superset_config.py), whose edge moves by
# the second and cuts through a 5-minute bucket: a rollup chart counts that bucket or not by its
# start, the facts by each event's time. So the charts are asked for the same day with its edge
# on a bucket boundary (`chart_data` swaps the range), where both agree, and the facts filtered
# alike.
_EDGE = datetime.now(UTC) - timedelta(days=1)
DAY_START = _EDGE.replace(minute=_EDGE.minute - _EDGE.minute % 5, second=0, microsecond=0)
DAY_RANGE = f"{DAY_START:%Y-%m-%dT%H:%M:%S} : {DAY_START + timedelta(days=2):%Y-%m-%dT%H:%M:%S}"
LAST_DAY = "{t} >= toDateTime('" + f"{DAY_START:%Y-%m-%d %H:%M:%S}" + "', 'UTC')"


@pytest.fixture(scope="module")
def charts(superset) -> dict[str, dict]:
    api = superset.api()
    ids = [
        c["id"] for c in api.get("/api/v1/chart/", params={"q": "(page_size:100)"}).json()["result"]
    ]
    details = [api.get(f"/api/v1/chart/{i}").json()["result"] for i in ids]
    return {c["slice_name"]: c for c in details}


@pytest.fixture(scope="module")
def project(superset_data) -> str:
    """The demo's project: the filter applied alike to every chart query and fact query."""
    return superset_data.command(
        f"select any(project_id) from ollive.fct_inferences where service = '{DEMO_SERVICE}'"
    )


def chart_data(superset, chart: dict, project: str | None, grain: str | None = None) -> list[dict]:
    """Rows of the chart's saved query context (cache bypassed) over the day from DAY_START,
    optionally for one project."""
    context = json.loads(chart["query_context"])
    context["force"] = True
    for query in context["queries"]:
        for time_filter in query["filters"]:
            if time_filter["op"] == "TEMPORAL_RANGE" and time_filter["val"] == "Last day":
                time_filter["val"] = DAY_RANGE
        if project is not None:
            query["filters"].append({"col": "project_id", "op": "IN", "val": [project]})
        if grain is not None:
            query["extras"]["time_grain_sqla"] = grain
            for column in query["columns"]:
                if isinstance(column, dict) and column.get("columnType") == "BASE_AXIS":
                    column["timeGrain"] = grain
    response = superset.api().post("/api/v1/chart/data", json=context)
    assert response.status_code == 200, response.text
    (result,) = response.json()["result"]
    return result["data"]


def day(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).date().isoformat()


def assert_is_quantile(value: float, observed: list[float], q: float, what: str) -> None:
    """`value` is a q-quantile of `observed` within a rank error of 1% + 1/n (t-digest merges)."""
    n = len(observed)
    tolerance = 0.01 + 1 / n
    below = sum(v < value for v in observed) / n
    at_or_below = sum(v <= value for v in observed) / n
    assert below <= q + tolerance and at_or_below >= q - tolerance, (
        f"{what}: {value} is not a p{q * 100:g} of {sorted(observed)}"
    )


def test_every_chart_has_a_saved_query_context_that_returns_rows(
    superset, superset_data, charts
) -> None:
    assert len(charts) == len(list((BUNDLE_DIR / "charts").glob("*.yaml")))
    for name, chart in charts.items():
        assert chart["query_context"], name
        rows = chart_data(superset, chart, project=None)
        assert rows or name in CHARTS_WITHOUT_DEMO_DATA, f"{name}: no rows"


def test_request_count_error_rate_and_cost(superset, superset_data, charts, project) -> None:
    ((requests, errors, cost),) = superset_data.query(
        "select count(), countIf(is_error), sum(cost_usd) from ollive.fct_inferences "
        f"where project_id = %(p)s and {LAST_DAY.format(t='started_at')}",
        parameters={"p": project},
    ).result_rows
    assert requests > 0
    assert chart_data(superset, charts["Requests"], project) == [{"total_requests": requests}]
    (rate,) = chart_data(superset, charts["Error rate"], project)
    assert rate["request_error_rate"] == pytest.approx(errors / requests)
    (total,) = chart_data(superset, charts["Cost (USD)"], project)
    assert total["total_cost_usd"] == pytest.approx(cost)


def test_cost_by_model_and_day(superset, superset_data, charts, project) -> None:
    want = {
        (d.isoformat(), model): cost
        for d, model, cost in superset_data.query(
            "select toDate(started_at), model, sum(cost_usd) from ollive.fct_inferences "
            f"where project_id = %(p)s and {LAST_DAY.format(t='started_at')} group by all",
            parameters={"p": project},
        ).result_rows
    }
    got = {
        (day(r["bucket_start"]), r["model"]): r["total_cost_usd"]
        for r in chart_data(superset, charts["Cost by model and day (USD)"], project)
    }
    assert got.keys() == want.keys()
    for key, cost in want.items():
        assert got[key] == pytest.approx(cost), key


def test_latency_percentiles_are_merged_exactly_at_a_daily_grain(
    superset, superset_data, charts, project
) -> None:
    """The 5-minute chart re-run at P1D: each day's p50/p95/p99 per model is a quantile of the
    day's facts (merged t-digest states), not a mean of the buckets' quantiles."""
    observed = {
        (d.isoformat(), model): (latencies, ttfts)
        for d, model, latencies, ttfts in superset_data.query(
            "select toDate(started_at), model, groupArray(latency_ms), "
            "groupArrayIf(assumeNotNull(ttft_ms), ttft_ms is not null) "
            "from ollive.fct_inferences "
            f"where project_id = %(p)s and {LAST_DAY.format(t='started_at')} group by all",
            parameters={"p": project},
        ).result_rows
    }
    rows = chart_data(
        superset, charts["Latency p50 / p95 / p99 by model (ms)"], project, grain="P1D"
    )
    assert {(day(r["bucket_start"]), r["model"]) for r in rows} == observed.keys()
    for r in rows:
        latencies, _ = observed[(day(r["bucket_start"]), r["model"])]
        for q in ("50", "95", "99"):
            assert_is_quantile(r[f"p{q}"], latencies, int(q) / 100, r["model"])
    for r in chart_data(
        superset, charts["Time to first chunk p50 / p95 by model (ms)"], project, "P1D"
    ):
        _, ttfts = observed[(day(r["bucket_start"]), r["model"])]
        if ttfts:
            assert_is_quantile(r["p95"], ttfts, 0.95, f"ttft {r['model']}")


def test_top_error_codes(superset, superset_data, charts, project) -> None:
    want = Counter(
        dict(
            ((code, model), n)
            for code, model, n in superset_data.query(
                "select error_code, model, count() from ollive.fct_inferences "
                f"where project_id = %(p)s and error_code != '' "
                f"and {LAST_DAY.format(t='started_at')} group by all",
                parameters={"p": project},
            ).result_rows
        )
    )
    assert want, "the demo produced no inference errors"
    rows = chart_data(superset, charts["Top error codes"], project)
    got = {(r["error_code"], r["model"]): r["total_error_events"] for r in rows}
    assert list(got.values()) == sorted(got.values(), reverse=True)
    assert len(got) == min(10, len(want))
    assert all(want[key] == n for key, n in got.items())


def test_tool_calls_and_merged_tool_latency(superset, superset_data, charts, project) -> None:
    observed = dict(
        superset_data.query(
            "select tool_name, groupArray(latency_ms) from ollive.fct_tool_executions "
            f"where project_id = %(p)s and {LAST_DAY.format(t='started_at')} group by all",
            parameters={"p": project},
        ).result_rows
    )
    rows = chart_data(superset, charts["Latency by tool"], project)
    assert {r["tool_name"]: r["total_calls"] for r in rows} == {
        tool: len(latencies) for tool, latencies in observed.items()
    }
    for r in rows:
        for q in ("50", "95", "99"):
            value = r[f"merged_tool_latency_p{q}_ms"]
            assert_is_quantile(value, observed[r["tool_name"]], int(q) / 100, r["tool_name"])


def test_log_volume_and_pii_detections(superset, superset_data, charts, project) -> None:
    by_level = Counter()
    for r in chart_data(superset, charts["Log volume by level"], project):
        by_level[r["level"]] += r["log_records"]
    assert dict(by_level) == dict(
        superset_data.query(
            "select level, count() from ollive.fct_application_logs "
            f"where project_id = %(p)s and {LAST_DAY.format(t='logged_at')} group by all",
            parameters={"p": project},
        ).result_rows
    )

    by_entity = Counter()
    for r in chart_data(superset, charts["PII detections by entity type"], project):
        by_entity[r["entity"]] += r["pii_detections"]
    want = Counter()
    for fact, t in [
        ("fct_inferences", "started_at"),
        ("fct_tool_executions", "started_at"),
        ("fct_application_logs", "logged_at"),
    ]:
        want.update(
            dict(
                superset_data.query(
                    f"select entity, count() from ollive.{fact} array join pii_entities as entity "
                    f"where project_id = %(p)s and {LAST_DAY.format(t=t)} group by all",
                    parameters={"p": project},
                ).result_rows
            )
        )
    assert want, "no PII detected in the demo's traffic"
    assert dict(by_entity) == dict(want)


def test_latest_errors_are_the_newest_error_records(
    superset, superset_data, charts, project
) -> None:
    rows = chart_data(superset, charts["Latest errors"], project)
    ((errors, newest),) = superset_data.query(
        "select count(), max(toUnixTimestamp64Milli(logged_at)) from ollive.fct_application_logs "
        f"where project_id = %(p)s and level in ('error', 'critical') "
        f"and {LAST_DAY.format(t='logged_at')}",
        parameters={"p": project},
    ).result_rows
    assert errors > 0
    assert len(rows) == min(50, errors)
    assert {r["level"] for r in rows} <= {"error", "critical"}
    assert rows[0]["logged_at"] == newest


def test_top_conversations_are_the_costliest_in_fct_conversations(
    superset, superset_data, charts, project
) -> None:
    want = {
        conversation: (cost, turns, errors)
        for conversation, cost, turns, errors in superset_data.query(
            "select conversation_id, sum(cost_usd), sum(count_turns), sum(count_errors) "
            "from ollive.fct_conversations "
            f"where project_id = %(p)s and {LAST_DAY.format(t='first_activity_at')} group by all",
            parameters={"p": project},
        ).result_rows
    }
    assert want, "the demo produced no conversations"
    rows = chart_data(superset, charts["Top conversations"], project)
    assert len(rows) == min(50, len(want))
    costs = [r["total_conversation_cost_usd"] for r in rows]
    assert costs == sorted(costs, reverse=True)
    left_out = [
        c for conv, (c, _, _) in want.items() if conv not in {r["conversation_id"] for r in rows}
    ]
    assert all(c <= costs[-1] for c in left_out)
    for r in rows:
        cost, turns, errors = want[r["conversation_id"]]
        assert r["total_conversation_cost_usd"] == pytest.approx(cost)
        assert (r["total_turns"], r["total_conversation_errors"]) == (turns, errors)


def test_conversation_turns_are_its_events_in_start_order(
    superset, superset_data, charts, project
) -> None:
    """The drill-down, filtered to one conversation, lists every model call, tool run and log
    record of that conversation (the facts), oldest first."""
    conversation = superset_data.command(
        "select conversation_id from ollive.fct_conversations where project_id = %(p)s "
        "order by count_inferences + count_tool_executions desc, conversation_id limit 1",
        parameters={"p": project},
    )
    want = sorted(
        superset_data.query(
            "select toUnixTimestamp64Milli(started_at), 'model call', trace_id "
            "from ollive.fct_inferences where conversation_id = %(c)s union all "
            "select toUnixTimestamp64Milli(started_at), 'tool', trace_id "
            "from ollive.fct_tool_executions where conversation_id = %(c)s union all "
            "select toUnixTimestamp64Milli(logged_at), if(is_span, 'span', concat('log ', level)), "
            "trace_id from ollive.fct_application_logs where conversation_id = %(c)s",
            parameters={"c": conversation},
        ).result_rows
    )
    chart = dict(charts["Conversation turns"])
    context = json.loads(chart["query_context"])
    context["queries"][0]["filters"].append(
        {"col": "conversation_id", "op": "IN", "val": [conversation]}
    )
    chart["query_context"] = json.dumps(context)
    rows = chart_data(superset, chart, project)
    assert [r["started_at"] for r in rows] == sorted(r["started_at"] for r in rows)
    assert sorted((r["started_at"], r["span_kind"], r["trace_id"]) for r in rows) == [
        tuple(w) for w in want
    ]
