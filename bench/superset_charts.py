"""Chart query latency of each dashboard's charts over 10M events (goal: p95 <= 200 ms).

Fills a private embedded ClickHouse with 10M inference facts (plus 5M tool executions and 10M
log records) over 30 days, builds the 5-minute rollups from them, boots Superset on it, and times
`POST /api/v1/chart/data` with each chart's saved query context, cache bypassed (`force`).

    uv run python bench/superset_charts.py [--events 10000000] [--rounds 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ollive.settings import OlliveSettings  # noqa: E402
from ollive.stack.ports import free_ports  # noqa: E402
from superset_config.bundle import BUNDLE_DIR  # noqa: E402
from tests.fixtures.clickhouse import start_clickhouse_server  # noqa: E402
from tests.superset.seed import seed  # noqa: E402
from tests.superset.superset_process import start_superset  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def dashboard_charts() -> dict[str, list[str]]:
    charts = {}
    for path in sorted((BUNDLE_DIR / "dashboards").glob("*.yaml")):
        board = yaml.safe_load(path.read_text())
        charts[board["slug"]] = [
            v["meta"]["uuid"] for v in board["position"].values()
            if isinstance(v, dict) and v.get("type") == "CHART"
        ]
    return charts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-superset-") as tmp:
        clickhouse = start_clickhouse_server(Path(tmp) / "clickhouse")
        superset = None
        try:
            started = time.monotonic()
            seed(clickhouse.client(), events=args.events, span_s=30 * 86400)
            load_s = time.monotonic() - started
            rollup_rows = clickhouse.client().query(
                "select count() from ollive.agg_inference_5m").result_rows[0][0]
            (port,) = free_ports(1)
            from pydantic import SecretStr

            settings = OlliveSettings(
                state_dir=Path(tmp) / "state", superset_port=port,
                clickhouse_port=clickhouse.port,
                clickhouse_readonly_password=SecretStr(clickhouse.readonly_password),
            )
            superset = start_superset(settings, Path(tmp) / "logs")
            api = superset.api()
            by_uuid = {}
            for row in api.get("/api/v1/chart/", params={"q": "(page_size:100)"}).json()["result"]:
                detail = api.get(f"/api/v1/chart/{row['id']}").json()["result"]
                context = json.loads(detail["query_context"])
                context["force"] = True
                by_uuid[detail.get("uuid") or row["id"]] = (detail["slice_name"], context)
            if not all(isinstance(k, str) for k in by_uuid):
                raise SystemExit("chart uuids not exposed by the API")

            results: dict[str, dict] = {"events": args.events, "rollup_rows": rollup_rows,
                                        "load_s": round(load_s, 1), "dashboards": {}}
            print(f"superset_bench_events: {args.events} events")
            print(f"superset_bench_inference_rollup_rows: {rollup_rows} rows")
            print(f"superset_bench_load: {load_s:.1f} s")
            every: list[float] = []
            for slug, uuids in dashboard_charts().items():
                timings: list[float] = []
                per_chart = {}
                for uuid in uuids:
                    name, context = by_uuid[uuid]
                    api.post("/api/v1/chart/data", json=context).raise_for_status()  # warm-up
                    chart_ms = []
                    for _ in range(args.rounds):
                        t0 = time.perf_counter()
                        api.post("/api/v1/chart/data", json=context).raise_for_status()
                        chart_ms.append((time.perf_counter() - t0) * 1000)
                    per_chart[name] = {"p50_ms": round(statistics.median(chart_ms), 1),
                                       "p95_ms": round(percentile(chart_ms, 0.95), 1)}
                    timings += chart_ms
                every += timings
                p50, p95 = statistics.median(timings), percentile(timings, 0.95)
                print(f"superset_{slug}_chart_query_p50: {p50:.1f} ms")
                print(f"superset_{slug}_chart_query_p95: {p95:.1f} ms")
                results["dashboards"][slug] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
                                               "charts": per_chart}
            p50, p95 = statistics.median(every), percentile(every, 0.95)
            print(f"superset_all_chart_query_p50: {p50:.1f} ms")
            print(f"superset_all_chart_query_p95: {p95:.1f} ms")
            results.update({"p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "goal_p95_ms": 200})
            out = ROOT / "bench" / "results" / "superset_charts.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=2))
        finally:
            if superset is not None:
                superset.stop()
            clickhouse.stop()


if __name__ == "__main__":
    main()
