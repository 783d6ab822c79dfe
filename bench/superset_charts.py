"""Chart query latency of each dashboard's charts over 10M events (goal: p95 <= 200 ms), and where
the time goes: Superset's own overhead versus ClickHouse's query time.

Starts the stack's ClickHouse on a private state dir, stages N events over the last 30 days and
builds the marts with dbt (bench/superset_data.py), starts the stack's Superset (bootstrap +
gunicorn, as `ollive up` does), then, per chart and round, interleaved:

- `superset`: POST /api/v1/chart/data with the chart's saved query context under its dashboard's
  default time filter (cache bypassed: `force`);
- `clickhouse`: the same SQL (Superset's `result_type: query`) sent with clickhouse-connect as
  the read-only user: the database's share of the time;
- `unbounded`: the chart with "No filter", what the dashboards ran before they had a default
  time window (the baseline);
- `cached`: the bounded request without `force`, as a dashboard sends it: Superset's cache key
  holds the relative window ("Last day"), not its resolved bounds, so repeated opens within the
  data cache's timeout (`OLLIVE_SUPERSET_DATA_CACHE_SECONDS`, 60) are hits; each answer's
  `is_cached` is counted, hits and misses reported apart.

With `--baseline-env NAME=VALUE` (repeatable), a second Superset on the same metadata serves with
those variables on top of the stack's (e.g. `OLLIVE_SUPERSET_ACTION_LOG=request`, Superset's own
action log; `OLLIVE_SUPERSET_REUSE_CLICKHOUSE_CONNECTIONS=false`, a client per query), and each
round also times the bounded and the cached request against it (`baseline`, `baseline_cached`):
a same-run baseline of the configuration.

A drill-down tile (Conversation turns, Scores and feedback, Trace spans) is timed as its
dashboard opens it: narrowed to one conversation or trace, the first one, as the dashboard's
required-first native filter selects.

    uv run python bench/superset_charts.py [--events 10000000] [--days 30] [--rounds 7]
        [--state-dir DIR] [--baseline-env NAME=VALUE ...]

With `--state-dir`, the stack's state (ClickHouse data, Superset metadata) is kept there, and a
later run with the same directory and `--events` times the charts over the marts already built
(a 10M build takes the better part of an hour on two cores; the timing needs a quiet machine).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import clickhouse_connect
import httpx
import yaml
from clickhouse_connect.driver.exceptions import ClickHouseError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from superset_data import build_marts, create_ledgers  # noqa: E402

from ollive.stack import superset_service  # noqa: E402
from ollive.stack.health import http_ok  # noqa: E402
from ollive.stack.ports import free_ports  # noqa: E402
from ollive.stack.private import private_settings  # noqa: E402
from ollive.stack.services import clickhouse  # noqa: E402
from ollive.stack.supervisor import Supervisor  # noqa: E402
from superset_config.bundle import BUNDLE_DIR  # noqa: E402
from superset_config.launch import superset_command, superset_env  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "superset_charts.json"
KINDS = ("superset", "clickhouse", "unbounded", "cached")
BASELINE_KINDS = ("baseline", "baseline_cached")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# the fact whose ids a drill filter's column holds: where its first value is looked up
DRILL_FIRST_VALUE = {
    "conversation_id": "select min(conversation_id) from ollive.fct_conversations",
    "trace_id": "select min(trace_id) from ollive.fct_traces",
}


def drill_columns(board: dict) -> dict[str, str]:
    """Chart name → the column of the required-first native filter that narrows it."""
    charts = {
        v["meta"]["chartId"]: v["meta"]["sliceName"]
        for v in board["position"].values()
        if isinstance(v, dict) and v.get("type") == "CHART"
    }
    drills = {}
    for f in board["metadata"]["native_filter_configuration"]:
        if f.get("requiredFirst"):
            column = f["targets"][0]["column"]["name"]
            excluded = set(f["scope"]["excluded"])
            drills |= {
                name: column for chart_id, name in charts.items() if chart_id not in excluded
            }
    return drills


def dashboards() -> dict[str, tuple[str, list[str]]]:
    """slug → (default time range of its native time filter, chart names)."""
    boards = {}
    for path in sorted((BUNDLE_DIR / "dashboards").glob("*.yaml")):
        board = yaml.safe_load(path.read_text())
        time_range = next(
            f["defaultDataMask"]["extraFormData"].get("time_range", "No filter")
            for f in board["metadata"]["native_filter_configuration"]
            if f["filterType"] == "filter_time"
        )
        names = [
            v["meta"]["sliceName"]
            for v in board["position"].values()
            if isinstance(v, dict) and v.get("type") == "CHART"
        ]
        boards[board["slug"]] = (time_range, names)
    return boards


def all_drill_columns() -> dict[str, str]:
    return {
        name: column
        for path in sorted((BUNDLE_DIR / "dashboards").glob("*.yaml"))
        for name, column in drill_columns(yaml.safe_load(path.read_text())).items()
    }


def with_time_range(
    context: dict,
    time_range: str,
    result_type: str = "full",
    drill: tuple | None = None,
    force: bool = True,
) -> dict:
    """The saved query context under `time_range`, narrowed to `drill` ((column, value)) if any."""
    context = copy.deepcopy(context)
    context["force"] = force
    context["result_type"] = result_type
    for query in context["queries"]:
        for f in query["filters"]:
            if f["op"] == "TEMPORAL_RANGE":
                f["val"] = time_range
        if drill is not None:
            query["filters"].append({"col": drill[0], "op": "IN", "val": [drill[1]]})
    return context


def login(url: str, user: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120)
    token = client.post(
        "/api/v1/security/login",
        json={"username": user, "password": password, "provider": "db", "refresh": True},
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    client.headers["X-CSRFToken"] = client.get("/api/v1/security/csrf_token/").json()["result"]
    client.headers["Referer"] = url
    return client


def post(api: httpx.Client, context: dict) -> bool:
    """Whether every query of the answer came from Superset's cache."""
    answer = api.post("/api/v1/chart/data", json=context)
    answer.raise_for_status()
    return all(r.get("is_cached") for r in answer.json()["result"])


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    out = call()
    return (time.perf_counter() - started) * 1000, out


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
    }


def measure(
    api: httpx.Client,
    ch,
    contexts: dict,
    boards: dict,
    rounds: int,
    drills: dict,
    baseline: httpx.Client | None = None,
    kinds: tuple[str, ...] = KINDS,
) -> dict:
    """Per dashboard and kind (of `kinds`), every chart query's time (ms), interleaved round by
    round."""
    kinds = kinds + (BASELINE_KINDS if baseline is not None else ())
    times: dict = {slug: {kind: [] for kind in kinds} for slug in boards}
    cache = {"hits": [], "misses": []}
    failed: dict[str, str] = {}
    per_chart: dict = {}
    first = {column: ch.command(sql) for column, sql in DRILL_FIRST_VALUE.items()}
    charts = [(slug, name) for slug, (_, names) in boards.items() for name in names]
    for done, (slug, name) in enumerate(charts, 1):
        time_range = boards[slug][0]
        drill = (drills[name], first[drills[name]]) if name in drills else None
        bounded = with_time_range(contexts[name], time_range, drill=drill)
        unbounded = with_time_range(contexts[name], "No filter", drill=drill)
        cached = with_time_range(contexts[name], time_range, drill=drill, force=False)
        try:
            (query,) = api.post(
                "/api/v1/chart/data",
                json=with_time_range(contexts[name], time_range, "query", drill),
            ).json()["result"]
            calls = {
                "superset": lambda c=bounded: post(api, c),
                "clickhouse": lambda sql=query["query"]: ch.query(sql),
                "unbounded": lambda c=unbounded: post(api, c),
                "cached": lambda c=cached: post(api, c),
            }
            if baseline is not None:
                calls["baseline"] = lambda c=bounded: post(baseline, c)
                calls["baseline_cached"] = lambda c=cached: post(baseline, c)
            calls = {kind: call for kind, call in calls.items() if kind in kinds}
            for call in calls.values():
                call()  # warm-up; fills the cache for `cached`
        except (
            httpx.HTTPError,
            ValueError,
            KeyError,
            ClickHouseError,
        ) as exc:
            failed[name] = str(exc)[:500]
            print(f"{time.strftime('%H:%M:%S')} FAILED {name}: {failed[name]}", file=sys.stderr)
            continue
        chart = {kind: [] for kind in kinds}
        for _ in range(rounds):
            for kind, call in calls.items():
                ms, out = timed(call)
                chart[kind].append(ms)
                if kind == "cached":
                    cache["hits" if out else "misses"].append(ms)
        per_chart[name] = {kind: summary(v) for kind, v in chart.items()}
        for kind in kinds:
            times[slug][kind] += chart[kind]
        print(f"{time.strftime('%H:%M:%S')} timed {done}/{len(charts)}: {name}", file=sys.stderr)
    return {"times": times, "per_chart": per_chart, "cache": cache, "failed": failed}


def report(results: dict, times: dict, cache: dict) -> None:
    every: dict[str, list[float]] = {kind: [] for kind in next(iter(times.values()))}
    for slug, by_kind in times.items():
        results["dashboards"][slug] = {}
        for kind, values in by_kind.items():
            every[kind] += values
            stats = summary(values)
            results["dashboards"][slug][kind] = stats
            print(f"superset_{slug}_{kind}_p50: {stats['p50_ms']} ms")
            print(f"superset_{slug}_{kind}_p95: {stats['p95_ms']} ms")
    for kind, values in every.items():
        stats = summary(values)
        results[kind] = stats
        print(f"superset_all_{kind}_p50: {stats['p50_ms']} ms")
        print(f"superset_all_{kind}_p95: {stats['p95_ms']} ms")
    overhead = statistics.median(every["superset"]) - statistics.median(every["clickhouse"])
    results["superset_overhead_p50_ms"] = round(overhead, 1)
    results["unbounded_over_bounded_p95_ratio"] = round(
        results["unbounded"]["p95_ms"] / results["superset"]["p95_ms"], 2
    )
    print(f"superset_overhead_p50: {overhead:.1f} ms")
    for outcome, values in cache.items():
        results[f"cache_{outcome}"] = {"count": len(values)} | (summary(values) if values else {})
        print(f"superset_cache_{outcome}: {len(values)} requests")
        if values:
            print(f"superset_cache_{outcome}_p50: {results[f'cache_{outcome}']['p50_ms']} ms")
            print(f"superset_cache_{outcome}_p95: {results[f'cache_{outcome}']['p95_ms']} ms")
    print(f"superset_unbounded_over_bounded_p95: {results['unbounded_over_bounded_p95_ratio']} x")
    for kind, base in (("superset", "baseline"), ("cached", "baseline_cached")):
        if base in results:
            for stat in ("p50_ms", "p95_ms"):
                ratio = round(results[kind][stat] / results[base][stat], 2)
                results[f"{kind}_over_{base}_{stat.removesuffix('_ms')}"] = ratio
                print(f"superset_{kind}_over_{base}_{stat.removesuffix('_ms')}: {ratio} x")
    if "baseline" in results:
        clickhouse_p50 = statistics.median(every["clickhouse"])
        base_overhead = statistics.median(every["baseline"]) - clickhouse_p50
        results["baseline_overhead_p50_ms"] = round(base_overhead, 1)
        print(f"superset_baseline_overhead_p50: {base_overhead:.1f} ms")


def start_superset(supervisor, settings) -> tuple[httpx.Client, object, dict[str, dict]]:
    """The stack's Superset started on `settings`' ClickHouse, as `ollive up` starts it: an API
    client logged in as the admin, a ClickHouse client as the read-only user, and each chart's
    saved query context by name."""
    supervisor.up(superset_service.specs(settings), report=lambda _: None)
    env = superset_env(settings)
    api = login(
        f"http://{settings.host}:{settings.superset.port}",
        env["OLLIVE_SUPERSET_ADMIN_USER"],
        env["OLLIVE_SUPERSET_ADMIN_PASSWORD"],
    )
    ro = clickhouse_connect.get_client(
        host=settings.clickhouse.host,
        port=settings.clickhouse.port,
        username=settings.clickhouse.readonly_user,
        password=settings.clickhouse.readonly_password.get_secret_value(),
    )
    contexts = {}
    for row in api.get("/api/v1/chart/", params={"q": "(page_size:100)"}).json()["result"]:
        detail = api.get(f"/api/v1/chart/{row['id']}").json()["result"]
        contexts[detail["slice_name"]] = json.loads(detail["query_context"])
    return api, ro, contexts


def start_baseline(
    settings, overrides: dict[str, str], log_path: Path
) -> tuple[subprocess.Popen, str]:
    """A second Superset on the same metadata and caches, its own port, `overrides` in its env."""
    (port,) = free_ports(1)
    superset = settings.superset.model_copy(update={"port": port})
    argv, env = superset_command(settings.model_copy(update={"superset": superset}))
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            argv, env={**os.environ, **env, **overrides}, stdout=log, stderr=log
        )
    url = f"http://{settings.host}:{port}"
    deadline = time.monotonic() + 240
    while not http_ok(f"{url}/health"):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            sys.exit(f"the baseline Superset did not start; see {log_path}")
        time.sleep(1)
    return server, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--state-dir", type=Path, default=None, help="Keep (and reuse) the state.")
    parser.add_argument(
        "--baseline-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Also time a second Superset with these variables set, in the same rounds.",
    )
    args = parser.parse_args()
    if not superset_service.installed():
        sys.exit("Superset's virtualenv is missing: bash superset_config/install.sh")

    with tempfile.TemporaryDirectory(prefix="bench-superset-") as tmp:
        work = args.state_dir or Path(tmp)
        built_marker = work / f"built-{args.events}-{args.days}.json"
        settings = private_settings(work / "state")
        supervisor = Supervisor(settings.state_path, settings.host)
        baseline_server = None
        try:
            supervisor.up([clickhouse(settings)], report=lambda _: None)
            rw = clickhouse_connect.get_client(
                host=settings.clickhouse.host,
                port=settings.clickhouse.port,
                username=settings.clickhouse.user,
                password=settings.clickhouse.password.get_secret_value(),
                send_receive_timeout=3600,
            )
            create_ledgers(rw)
            if built_marker.exists():
                build = json.loads(built_marker.read_text())
                print(f"marts of {args.events:,} events already built in {work}", file=sys.stderr)
            else:
                build = build_marts(settings, rw, args.events, args.days, work)
                built_marker.write_text(json.dumps(build))
            rollup_rows = rw.command("select count() from ollive.agg_inference_5m")
            trace_rows = rw.command("select count() from ollive.fct_traces")
            conversation_rows = rw.command("select count() from ollive.fct_conversations")
            api, ro, contexts = start_superset(supervisor, settings)
            env = superset_env(settings)

            baseline = None
            overrides = dict(item.split("=", 1) for item in args.baseline_env)
            if overrides:
                baseline_server, baseline_url = start_baseline(
                    settings, overrides, work / "baseline-superset.log"
                )
                baseline = login(
                    baseline_url,
                    env["OLLIVE_SUPERSET_ADMIN_USER"],
                    env["OLLIVE_SUPERSET_ADMIN_PASSWORD"],
                )
                print(f"baseline Superset ({overrides}) at {baseline_url}", file=sys.stderr)
            boards = dashboards()
            load_before = os.getloadavg()
            measured = measure(
                api, ro, contexts, boards, args.rounds, all_drill_columns(), baseline
            )
            load_after = os.getloadavg()
        finally:
            if baseline_server is not None:
                baseline_server.terminate()
                baseline_server.wait(30)
            supervisor.down(report=lambda _: None)

    results = {
        "events": args.events,
        "days": args.days,
        "rounds": args.rounds,
        "inference_rollup_rows": int(rollup_rows),
        "trace_rows": int(trace_rows),
        "conversation_rows": int(conversation_rows),
        "build_s": {k: round(v, 1) for k, v in build.items()},
        "time_ranges": {slug: time_range for slug, (time_range, _) in boards.items()},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "dashboards": {},
        "charts": measured["per_chart"],
        "goal_p95_ms": 200,
        "action_log": settings.superset.action_log,
        "reuse_clickhouse_connections": settings.superset.reuse_clickhouse_connections,
        "baseline_env": args.baseline_env,
    }
    print(f"superset_bench_events: {args.events} events")
    print(f"superset_bench_inference_rollup_rows: {rollup_rows} rows")
    print(f"superset_bench_trace_rows: {trace_rows} rows")
    print(f"superset_bench_conversation_rows: {conversation_rows} rows")
    for step, secs in build.items():
        print(f"superset_bench_{step.removesuffix('_s')}: {secs:.1f} s")
    print(f"superset_bench_load_average_1m_before: {load_before[0]:.2f}")
    print(f"superset_bench_load_average_1m_after: {load_after[0]:.2f}")
    report(results, measured["times"], measured["cache"])
    results["failed_charts"] = measured["failed"]
    for name, error in measured["failed"].items():
        print(f"superset_chart_failed: {name}: {error}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
