"""Chart queries share one ClickHouse connection per Superset worker
(superset_config/clickhouse_clients.py): requests served at the same time by the same workers'
threads get the answers they get one at a time."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

CHARTS = ("Requests", "Error rate", "Calls by tool", "Log volume by level")


def test_concurrent_chart_requests_answer_as_sequential_ones(superset, superset_data) -> None:
    api = superset.api()
    contexts = {}
    for name in CHARTS:
        (chart,) = api.get(
            "/api/v1/chart/",
            params={"q": f"(filters:!((col:slice_name,opr:eq,value:'{name}')),page_size:1)"},
        ).json()["result"]
        detail = api.get(f"/api/v1/chart/{chart['id']}").json()["result"]
        context = json.loads(detail["query_context"]) | {"force": True}
        for query in context["queries"]:
            for time_filter in query["filters"]:
                if time_filter["op"] == "TEMPORAL_RANGE":
                    # not the rolling "Last day", whose edge moves between the two passes
                    time_filter["val"] = "No filter"
        contexts[name] = context

    def data(name: str) -> list:
        answer = superset.api().post("/api/v1/chart/data", json=contexts[name])
        assert answer.status_code == 200, answer.text
        # rows come ordered by the metric; ClickHouse orders ties as they come, so compare sets
        return [
            sorted(result["data"], key=lambda row: json.dumps(row, sort_keys=True))
            for result in answer.json()["result"]
        ]

    sequential = {name: data(name) for name in CHARTS}
    assert any(rows for answer in sequential.values() for rows in answer)
    # 4 charts x 4: more requests at once than the two workers have threads
    names = [name for name in CHARTS for _ in range(4)]
    with ThreadPoolExecutor(len(names)) as pool:
        concurrent = list(pool.map(data, names))
    for name, answer in zip(names, concurrent, strict=True):
        assert answer == sequential[name], name
