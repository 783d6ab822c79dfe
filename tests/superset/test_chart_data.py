"""The chart data API, run with each chart's saved query context, gives what ClickHouse's facts give."""

from __future__ import annotations

import json
from collections import Counter

import pytest

PROJECT = "proj_demo"  # a filter applied the same way to the chart query and to the fact query


@pytest.fixture(scope="module")
def charts(superset) -> dict[str, dict]:
    api = superset.api()
    ids = [
        c["id"] for c in api.get("/api/v1/chart/", params={"q": "(page_size:100)"}).json()["result"]
    ]
    details = [api.get(f"/api/v1/chart/{i}").json()["result"] for i in ids]
    return {c["slice_name"]: c for c in details}


def chart_data(superset, chart: dict, project: str | None = PROJECT) -> list[dict]:
    """Rows of the chart's saved query context (cache bypassed), optionally for one project."""
    context = json.loads(chart["query_context"])
    context["force"] = True
    if project is not None:
        for query in context["queries"]:
            query["filters"].append({"col": "project_id", "op": "IN", "val": [project]})
    response = superset.api().post("/api/v1/chart/data", json=context)
    assert response.status_code == 200, response.text
    (result,) = response.json()["result"]
    return result["data"]


def facts(clickhouse_server, sql: str) -> list[tuple]:
    return clickhouse_server.client(readonly=True).query(sql).result_rows


def test_every_chart_has_a_saved_query_context_that_returns_rows(superset, charts) -> None:
    assert len(charts) == 21
    for name, chart in charts.items():
        assert chart["query_context"], name
        assert chart_data(superset, chart, project=None), f"{name}: no rows"


def test_request_count_error_rate_and_cost(superset, charts, superset_marts) -> None:
    ((requests, errors, cost),) = facts(
        superset_marts,
        f"""
        select count(), countIf(status = 'error'), sum(cost_usd)
        from ollive.fct_inferences where project_id = '{PROJECT}'""",
    )
    assert chart_data(superset, charts["Requests"]) == [{"total_requests": requests}]
    (rate,) = chart_data(superset, charts["Error rate"])
    assert rate["request_error_rate"] == pytest.approx(errors / requests)
    (total,) = chart_data(superset, charts["Cost (USD)"])
    assert total["total_cost_usd"] == pytest.approx(cost)


def test_cost_by_model_and_day(superset, charts, superset_marts) -> None:
    want = {
        (day.isoformat(), model): cost
        for day, model, cost in facts(
            superset_marts,
            f"""
            select toDate(started_at), model, sum(cost_usd) from ollive.fct_inferences
            where project_id = '{PROJECT}' group by all""",
        )
    }
    from datetime import UTC, datetime

    got = {
        (datetime.fromtimestamp(r["bucket_start"] / 1000, UTC).date().isoformat(), r["model"]): r[
            "total_cost_usd"
        ]
        for r in chart_data(superset, charts["Cost by model and day (USD)"])
    }
    assert got.keys() == want.keys()
    for key, cost in want.items():
        assert got[key] == pytest.approx(cost), key


def test_top_error_codes(superset, charts, superset_marts) -> None:
    want = Counter(
        {
            (code, model): n
            for code, model, n in facts(
                superset_marts,
                f"""
            select error_code, model, count() from ollive.fct_inferences
            where project_id = '{PROJECT}' and error_code is not null group by all""",
            )
        }
    )
    rows = chart_data(superset, charts["Top error codes"])
    got = {(r["error_code"], r["model"]): r["inference_events"] for r in rows}
    assert list(got.values()) == sorted(got.values(), reverse=True)
    assert got == dict(want.most_common(len(got))) or all(want[k] == v for k, v in got.items())
    assert len(got) == min(10, len(want))


def test_tool_calls_and_log_volume_and_pii(superset, charts, superset_marts) -> None:
    (tools,) = [chart_data(superset, charts["Latency by tool"])]
    want_tools = dict(
        facts(
            superset_marts,
            f"""
        select tool_name, count() from ollive.fct_tool_executions
        where project_id = '{PROJECT}' group by all""",
        )
    )
    assert {r["tool_name"]: r["total_calls"] for r in tools} == want_tools

    by_level = Counter()
    for r in chart_data(superset, charts["Log volume by level"]):
        by_level[r["level"]] += r["log_records"]
    assert dict(by_level) == dict(
        facts(
            superset_marts,
            f"""
        select level, count() from ollive.fct_application_logs
        where project_id = '{PROJECT}' group by all""",
        )
    )

    by_entity = Counter()
    for r in chart_data(superset, charts["PII detections by entity type"]):
        by_entity[r["entity"]] += r["pii_detections"]
    assert dict(by_entity) == dict(
        facts(
            superset_marts,
            f"""
        select entity, count() from ollive.fct_application_logs array join pii_entities as entity
        where project_id = '{PROJECT}' group by all""",
        )
    )


def test_latest_errors_are_the_newest_error_records(superset, charts, superset_marts) -> None:
    rows = chart_data(superset, charts["Latest errors"])
    assert len(rows) == 50 and {r["level"] for r in rows} <= {"error", "critical"}
    newest = facts(
        superset_marts,
        f"""
        select max(toUnixTimestamp64Milli(started_at)) from ollive.fct_application_logs
        where project_id = '{PROJECT}' and level in ('error', 'critical')""",
    )[0][0]
    assert rows[0]["started_at"] == newest
