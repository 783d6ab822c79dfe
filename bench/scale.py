"""Benchmark: the pipeline at 1M, 10M and 100M events (generate → load → dbt → charts), each
stage's wall time and peak memory at each size, and its growth from the smallest to the largest.

Per size, on a stack of its own (the stack's SeaweedFS, embedded ClickHouse and Superset, started
as `ollive up` starts them, on 127.0.0.1 with free ports and a private state dir, stopped and
removed afterwards):

- `generate`: the events are written straight into the raw lake as the ingest API's objects
  (`lake_events.py`: its stored lines, its gzip and metadata, `--per-object` events of one log
  type per object, received now) rather than POSTed through the API. The API took 22,586
  events/s on these two cores with PII on (docs/ingest_api.md), so 100M events through it would
  take ~74 minutes before the first load; the bench prints that estimate per size next to the
  generator's own time. The events have production's shape (`superset_data.py`'s: traces of a
  span block with its model calls and tool runs, conversations, sessions) over the `--days`
  days before now, so the dashboards' default windows hold a share of every size.
- `load`: the loader's `load_objects` with its default parallelism and objects per INSERT, then
  the merges that follow (until none has run for 4 s); staging is checked to hold every event.
- `dbt`: `dbt seed` + `dbt run` of the project on the fresh database (a first build: every
  model full), with the fact and rollup TTLs off as in the other dbt benches and a 7,200 s query
  timeout (the first build at 100M runs single queries of many minutes on two cores).
- `charts`: Superset started on the marts (its start timed apart), then every dashboard's charts
  through POST /api/v1/chart/data under the dashboard's default time filter, `--rounds` rounds:
  cache bypassed (`force`), the same SQL straight to ClickHouse, and the request as a dashboard
  sends it (Superset's cache; hits and misses apart), as `superset_charts.py` times them.

Peak memory is the highest sampled sum of the resident memory of the processes that do a
stage's work (`peak_memory.py`): the ClickHouse server, SeaweedFS, Superset (its gunicorn
workers and bootstrap), and this process with its children (the generator's workers, the loader
threads, dbt). Growth is each stage's time at the largest size over its time at the smallest, and
its time per million events at each size; a stage grew at most linearly when its time per million
events at the largest size is no more than at the smallest (the exponent of the growth, log time
ratio over log size ratio, is printed too).

    uv run python bench/scale.py [--sizes 1000000,10000000,100000000] [--days 30]
        [--rounds 3] [--per-object 10000] [--state-dir DIR]

A size that fails or is stopped (SIGTERM) keeps the figures of the stages that ended, printed and
in the JSON; the growth is then over the sizes that completed, and the exit status is non-zero.
Prints `name: value unit` lines; progress on stderr; writes bench/results/scale.json. With
`--state-dir`, each size's stack state stays in DIR/<size> (raw objects, ClickHouse data,
Superset metadata) instead of a temporary directory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dbt_harness import TTLS_OFF, by_dbt_node  # noqa: E402
from lake_events import write_lake  # noqa: E402
from load_common import resources  # noqa: E402
from load_throughput import settle_merges  # noqa: E402
from peak_memory import peak_rss  # noqa: E402
from process_sampling import descendants  # noqa: E402
from superset_charts import (  # noqa: E402
    all_drill_columns,
    dashboards,
    measure,
    percentile,
    start_superset,
)
from superset_data import SHARES, dbt_run, progress  # noqa: E402

from dagster_project.ingestion.load import load_objects  # noqa: E402
from dagster_project.ingestion.settings import LoaderSettings  # noqa: E402
from ollive.stack import superset_service  # noqa: E402
from ollive.stack.private import private_settings  # noqa: E402
from ollive.stack.services import clickhouse, seaweedfs  # noqa: E402
from ollive.stack.supervisor import Supervisor  # noqa: E402
from ollive_contract.tables import staging_table  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "scale.json"
STAGES = ("generate", "load", "dbt", "charts")
INGEST_API_EVENTS_PER_S = 22_586  # PII on, 2 cores, quiet (docs/ingest_api.md)
CHART_KINDS = ("superset", "clickhouse", "cached")
FACTS = {
    "inference": "fct_inferences",
    "tool_execution": "fct_tool_executions",
    "application": "fct_application_logs",
}


def label(size: int) -> str:
    return f"{size // 1_000_000}m" if size >= 1_000_000 else f"{size // 1000}k"


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Stack:
    """The services of one size; stopping them reaches every process under them."""

    def __init__(self, state: Path) -> None:
        self.settings = private_settings(state)
        self.supervisor = Supervisor(self.settings.state_path, self.settings.host)
        self.store, self.clickhouse = resources(self.settings)

    def pid(self, name: str) -> int | None:
        service = self.supervisor.running(name)
        return service.pid if service else None

    def groups(self) -> dict[str, list[int]]:
        """Memory groups: each service's tree, then this process's (the rest of its tree)."""
        named = {n: [p] for n in ("clickhouse", "seaweedfs", "superset") if (p := self.pid(n))}
        return {**named, "bench": [os.getpid()]}

    def down(self) -> None:
        """Stop every service, then kill whatever of theirs outlived them (the embedded
        ClickHouse's server can outlive its wrapper)."""
        roots = [p for n in ("clickhouse", "seaweedfs", "superset") if (p := self.pid(n))]
        seen = {pid: start_time(pid) for pid in descendants(roots)}
        self.supervisor.down(report=lambda _: None)
        deadline = time.monotonic() + 30
        # the same pid and start time: the same process, not a later one given its pid
        while (alive := [p for p, t in seen.items() if t and running_since(p) == t]) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.5)
        for pid in alive:
            with contextlib.suppress(OSError):
                name = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120]
                os.kill(pid, signal.SIGKILL)
                progress(f"killed {pid} ({name.decode(errors='replace')}), left after its service")


def start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot; "" when there is none."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def running_since(pid: int) -> str:
    """`start_time`, "" for a process that has exited (a zombie waiting for its parent too)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return ""
    return "" if fields[0] == "Z" else fields[19]


def stage(stack: Stack, name: str, size: int, figures: dict, work):
    """Run `work()` as stage `name`, recording its wall time and peak memory."""
    progress(f"{label(size)}: {name} …")
    with peak_rss(stack.groups) as memory:
        started = time.perf_counter()
        out = work()
        seconds = time.perf_counter() - started
    figures[name] = {"seconds": round(seconds, 1), **memory}
    progress(
        f"{label(size)}: {name} {seconds:.1f} s, peak RSS {memory['total_peak_rss_mib']:,.0f} MiB"
    )
    return out


def run_size(size: int, state: Path, args: argparse.Namespace, figures: dict) -> None:
    """Every stage at `size` on a stack of its own in `state`, its figures into `figures` as
    each stage ends."""
    stack = Stack(state)
    figures["load_average_start"] = loadavg()
    loader = LoaderSettings()
    try:
        stack.supervisor.up(
            [seaweedfs(stack.settings), clickhouse(stack.settings)], report=lambda _: None
        )
        objects = stage(
            stack,
            "generate",
            size,
            figures,
            lambda: write_lake(
                stack.store, size, args.days, args.per_object, args.workers, progress
            ),
        )
        figures["objects"] = len(objects)
        figures["object_bytes"] = sum(s for _, s in objects)
        figures["ingest_api_estimate_s"] = round(size / INGEST_API_EVENTS_PER_S)

        def load() -> None:
            tenths = [0]  # the last tenth of the objects reported

            def report(done: int, total: int, secs: float) -> None:
                if done * 10 // total > tenths[0]:  # batches end at no particular count
                    tenths[0] = done * 10 // total
                    progress(f"  loaded {done:,}/{total:,} objects ({secs:.0f} s)")

            started = time.perf_counter()
            outcomes = load_objects(
                stack.clickhouse,
                stack.store,
                objects,
                "scale",
                parallelism=loader.load_parallelism,
                objects_per_insert=loader.objects_per_insert,
                progress=report,
            )
            figures["load_insert_s"] = round(time.perf_counter() - started, 1)
            assert all(o.status == "loaded" for o in outcomes), "an object failed to load"
            client = stack.clickhouse.get_client()
            pids = [stack.pid("clickhouse"), stack.pid("seaweedfs")]
            _, merge_s = settle_merges(client, pids, limit_s=1200)
            figures["load_merges_after_s"] = round(merge_s, 1)
            for log_type in SHARES:
                staged = client.command(f"select count() from {staging_table(log_type)}")
                if staged != int(size * SHARES[log_type]):
                    sys.exit(f"{log_type}: {staged} rows staged of {int(size * SHARES[log_type])}")

        stage(stack, "load", size, figures, load)
        env = {**TTLS_OFF, "OLLIVE_PIPELINE_DBT_QUERY_TIMEOUT_SECONDS": "7200"}
        client = stack.clickhouse.get_client()
        since = client.command("SELECT toString(now64(6))")
        models = stage(
            stack, "dbt", size, figures, lambda: dbt_run(stack.settings, state / "dbt", env)
        )
        figures["dbt_models_s"] = {k: round(v, 1) for k, v in models.items()}
        figures["dbt_query_peak_mib"] = query_memory_by_node(client, since)
        for log_type, fact in FACTS.items():
            rows = client.command(f"select count() from ollive.{fact}")
            if rows != int(size * SHARES[log_type]):
                sys.exit(f"{fact}: {rows} rows of {int(size * SHARES[log_type])} staged")
        for mart in ("fct_traces", "fct_conversations", "agg_inference_5m"):
            figures[f"{mart}_rows"] = int(client.command(f"select count() from ollive.{mart}"))

        progress(f"{label(size)}: starting Superset …")
        started = time.perf_counter()
        api, ro, contexts = start_superset(stack.supervisor, stack.settings)
        figures["superset_start_s"] = round(time.perf_counter() - started, 1)
        boards, drills = dashboards(), all_drill_columns()
        measured = stage(
            stack,
            "charts",
            size,
            figures,
            lambda: measure(api, ro, contexts, boards, args.rounds, drills, kinds=CHART_KINDS),
        )
        figures["charts"] |= chart_figures(measured)
    finally:
        figures["load_average_end"] = loadavg()
        stack.down()


def query_memory_by_node(client, since: str, top: int = 8) -> dict[str, int]:
    """The most memory one query of each dbt model took since `since` (`system.query_log`'s
    `memory_usage`, the engine's own tracking), the `top` highest: which model sets the dbt
    stage's peak, where the stage's RSS also holds the engine's caches."""
    peaks = by_dbt_node(client, since, "max(memory_usage)")
    highest = sorted(peaks.items(), key=lambda item: item[1], reverse=True)[:top]
    return {node or "(no node)": round(peak / 2**20) for node, peak in highest}


def chart_figures(measured: dict) -> dict:
    """p50/p95 over every dashboard's charts per kind, the cache's hits and misses apart."""
    out: dict = {"failed": measured["failed"]}
    for kind in CHART_KINDS:
        values = [v for by_kind in measured["times"].values() for v in by_kind[kind]]
        out[kind] = summary(values)
    for outcome, values in measured["cache"].items():
        out[f"cache_{outcome}"] = {"count": len(values)} | (summary(values) if values else {})
    return out


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
    }


def growth(results: dict[str, dict], sizes: list[int]) -> dict:
    """Each stage's time and peak memory at the largest size over the smallest."""
    first, last = results[label(sizes[0])], results[label(sizes[-1])]
    size_ratio = sizes[-1] / sizes[0]
    out: dict = {"size_ratio": size_ratio}
    for name in STAGES:
        a, b = first[name]["seconds"], last[name]["seconds"]
        ratio = b / a
        out[name] = {
            "time_ratio": round(ratio, 2),
            "exponent": round(math.log(ratio) / math.log(size_ratio), 2),
            "peak_rss_ratio": round(
                last[name]["total_peak_rss_mib"] / first[name]["total_peak_rss_mib"], 2
            ),
            "at_most_linear": ratio <= size_ratio,
        }
    return out


def print_size(figures: dict) -> None:
    """The figures of a size; of a stopped one, those of the stages that ended."""
    lab = label(figures["events"])
    for name in (n for n in STAGES if n in figures):
        f = figures[name]
        per_1m = f["seconds"] / (figures["events"] / 1e6)
        print(f"scale_{name}_{lab}: {f['seconds']} s")
        print(f"scale_{name}_{lab}_per_1m_events: {per_1m:.2f} s")
        print(f"scale_{name}_{lab}_peak_rss: {f['total_peak_rss_mib']} MiB")
        for group in ("clickhouse", "seaweedfs", "superset", "bench"):
            if f"{group}_peak_rss_mib" in f:
                print(f"scale_{name}_{lab}_{group}_peak_rss: {f[f'{group}_peak_rss_mib']} MiB")
    for node, mib in figures.get("dbt_query_peak_mib", {}).items():
        print(f"scale_dbt_{lab}_query_peak_{node}: {mib} MiB")
    for key in (
        "load_insert_s",
        "load_merges_after_s",
        "ingest_api_estimate_s",
        "superset_start_s",
    ):
        if key in figures:
            print(f"scale_{key.removesuffix('_s')}_{lab}: {figures[key]} s")
    print(f"scale_load_average_{lab}_start: {figures['load_average_start'][0]}")
    print(f"scale_load_average_{lab}_end: {figures['load_average_end'][0]}")
    if "superset" not in figures.get("charts", {}):
        return
    charts = figures["charts"]
    for kind in CHART_KINDS:
        for stat in ("p50_ms", "p95_ms"):
            if stat in charts[kind]:
                print(
                    f"scale_charts_{lab}_{kind}_{stat.removesuffix('_ms')}: {charts[kind][stat]} ms"
                )
    for outcome in ("hits", "misses"):
        c = charts[f"cache_{outcome}"]
        print(f"scale_charts_{lab}_cache_{outcome}: {c['count']} requests")
        for stat in ("p50_ms", "p95_ms"):
            if stat in c:
                print(
                    f"scale_charts_{lab}_cache_{outcome}_{stat.removesuffix('_ms')}: {c[stat]} ms"
                )
    for name in charts["failed"]:
        print(f"scale_chart_failed_{lab}: {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000,100000000", help="comma-separated")
    parser.add_argument("--days", type=int, default=30, help="the events span this many days")
    parser.add_argument("--rounds", type=int, default=3, help="chart rounds per size")
    parser.add_argument("--per-object", type=int, default=10_000, help="events per raw object")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="generators")
    parser.add_argument("--state-dir", type=Path, default=None, help="keep each size's state")
    args = parser.parse_args()
    if not superset_service.installed():
        sys.exit("Superset's virtualenv is missing: bash superset_config/install.sh")
    # a SIGTERM stops the run through the `finally`s, so no server is left running
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict = {
        "sizes": sizes,
        "days": args.days,
        "rounds": args.rounds,
        "events_per_object": args.per_object,
        "generated_into_lake": True,
        "cores": os.cpu_count(),
        "load_average_start": loadavg(),
        "by_size": {},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    done: list[int] = []
    stopped = None
    for size in sizes:
        figures = results["by_size"][label(size)] = {"events": size}
        try:
            with contextlib.ExitStack() as cleanup:
                if args.state_dir:
                    state = args.state_dir / label(size)
                    shutil.rmtree(state, ignore_errors=True)
                    state.mkdir(parents=True)
                else:
                    tmp = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="ollive-scale-"))
                    state = Path(tmp)
                run_size(size, state, args, figures)
        except (Exception, SystemExit) as exc:  # failed or stopped: keep what it measured
            stopped = figures["stopped"] = str(exc) or type(exc).__name__
            progress(f"{label(size)}: stopped ({stopped}); the stages that ended are kept")
        print_size(figures)
        RESULTS.write_text(json.dumps(results, indent=2))
        if stopped:
            break
        done.append(size)
    sizes = done
    results["load_average_end"] = loadavg()
    print(f"scale_load_average_start: {results['load_average_start']}")
    print(f"scale_load_average_end: {results['load_average_end']}")
    if len(sizes) > 1:
        results["growth"] = growth(results["by_size"], sizes)
        span = f"{label(sizes[0])}_to_{label(sizes[-1])}"
        for name in STAGES:
            g = results["growth"][name]
            print(f"scale_{name}_growth_{span}: {g['time_ratio']} x")
            print(f"scale_{name}_growth_exponent_{span}: {g['exponent']}")
            print(f"scale_{name}_peak_rss_growth_{span}: {g['peak_rss_ratio']} x")
            print(f"scale_{name}_at_most_linear: {'yes' if g['at_most_linear'] else 'no'}")
        first, last = (
            results["by_size"][label(s)]["charts"]["superset"] for s in (sizes[0], sizes[-1])
        )
        print(f"scale_charts_p95_growth_{span}: {last['p95_ms'] / first['p95_ms']:.2f} x")
    RESULTS.write_text(json.dumps(results, indent=2))
    if stopped:
        sys.exit(f"stopped at {label(size)}: {stopped}")


if __name__ == "__main__":
    main()
