"""Benchmark: seconds from the ingest API's ack to the event's row in the 5-minute rollup.

Runs against a running stack (`ollive up`: ingest API, SeaweedFS, ClickHouse, Dagster sensor,
loads and dbt builds). Background senders keep a steady load (`--rate` events/s; the rate the
API acknowledged is printed, since a busy machine may not reach it); every `--probe-every`
seconds a probe event with a unique model name is posted, and ClickHouse is polled until
`agg_inference_5m` has its row. Each probe's lag is split at the moment its row reached staging
(`_loaded_at`): ack → staged (object commit, sensor, run queue, run start, the INSERT) and
staged → rollup (dbt sensor, run queue, run start, dbt). Prints p50/p95/max of the three, then
the phases of the stack's Dagster runs (`bench/dagster_runs.py`), and writes
bench/results/freshness.json. Goal: p95 ≤ 15 s on a quiet machine, ≤ 30 s at 5,000 events/s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import clickhouse_connect
import httpx
from clickhouse_connect.driver.exceptions import DatabaseError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cpu_share import cpu_share, print_shares  # noqa: E402

from ollive.stack.process import load  # noqa: E402
from ollive.synthetic_events import make_event, uuid7  # noqa: E402
from ollive_contract.events import EVENT_ADAPTER  # noqa: E402
from ollive_contract.settings import StackSettings  # noqa: E402
from ollive_contract.tables import MARTS_DATABASE, STAGING_DATABASE, staging_table  # noqa: E402


def event(model: str | None = None) -> dict:
    doc = EVENT_ADAPTER.dump_python(make_event("inference", datetime.now(UTC)), mode="json")
    if model:
        doc["model"] = model
    return doc


def post(client: httpx.Client, url: str, key: str, events: list[dict]) -> None:
    resp = client.post(url, json=events, headers={"Authorization": f"Bearer {key}"})
    resp.raise_for_status()


def steady_load(url: str, key: str, rate: float, stop: threading.Event, acked: list[int]) -> None:
    """Post `rate` events/s in two requests a second; events are copies of a few templates
    with fresh ids and times, so generating them costs little next to the API's work."""
    templates = [event() for _ in range(16)]
    per_post = max(1, int(rate / 2))
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            due = time.monotonic() + 0.5
            now = datetime.now(UTC)
            batch = []
            for i in range(per_post):
                doc = dict(templates[i % len(templates)])
                doc["event_id"] = str(uuid7(now))
                doc["started_at"] = doc["finished_at"] = now.isoformat()
                batch.append(doc)
            try:
                post(client, url, key, batch)
                acked[0] += len(batch)
            except httpx.HTTPError:
                acked[1] += 1  # refused or timed out: counted, the run goes on
            stop.wait(max(0.0, due - time.monotonic()))


def visible(ch, models: list[str]) -> list[str]:
    """Which probe models the rollup has; none while dbt has not built it yet."""
    try:
        rows = ch.query(
            f"SELECT DISTINCT model FROM {MARTS_DATABASE}.agg_inference_5m "
            "WHERE model IN {models:Array(String)}",
            parameters={"models": models},
        ).result_rows
    except DatabaseError as exc:
        if "UNKNOWN_DATABASE" in str(exc) or "UNKNOWN_TABLE" in str(exc):
            return []
        raise
    return [model for (model,) in rows]


def staged_at(ch, model: str) -> float | None:
    """When the probe's row reached staging (ClickHouse's clock, the same machine's)."""
    rows = ch.query(
        "SELECT toUnixTimestamp64Milli(min(_loaded_at)) "
        f"FROM {staging_table('inference')} WHERE model = {{m:String}}",
        parameters={"m": model},
    ).result_rows
    return rows[0][0] / 1000 if rows and rows[0][0] else None


def summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(percentile(values, 0.95), 1),
        "max": round(max(values), 1),
    }


def warm_up(client: httpx.Client, ch, url: str, key: str, timeout: float) -> float:
    """One probe through a fresh stack (first dbt build included); not part of the figures."""
    model = f"warmup-{uuid.uuid4().hex[:12]}"
    post(client, url, key, [event(model)])
    acked = time.monotonic()
    while not visible(ch, [model]):
        if time.monotonic() - acked > timeout:
            raise TimeoutError(f"the warm-up probe did not reach the rollup in {timeout:.0f}s")
        time.sleep(1)
    return time.monotonic() - acked


def stack_processes(run_dir: Path) -> dict[str, list[int]]:
    """The stack's services (the pid files `ollive up` wrote; a Dagster run is a fork of the
    daemon's run worker, dbt a child of its run) and this process (the senders and probes)."""
    groups = {}
    for pid_file in sorted(run_dir.glob("*.json")):
        service = load(pid_file)
        if service is not None:
            groups[service.name] = [service.pid]
    return {**groups, "bench_senders": [os.getpid()]}


def load_insert_seconds(ch, since: datetime) -> dict[str, float | int | None]:
    """How long the loader's INSERTs into staging ran (system.query_log): the incremental dbt
    models' lookback (`OLLIVE_PIPELINE_LATE_DATA_LOOKBACK_MINUTES`) must exceed the longest."""
    ch.command("SYSTEM FLUSH LOGS")
    count, p50, p99, longest = ch.query(
        "SELECT count(), quantile(0.5)(query_duration_ms), quantile(0.99)(query_duration_ms), "
        "max(query_duration_ms) FROM system.query_log WHERE type = 'QueryFinish' "
        "AND query_kind = 'Insert' AND event_time >= {since:DateTime} "
        "AND arrayExists(t -> startsWith(t, {staging:String}), tables)",
        parameters={"since": since, "staging": f"{STAGING_DATABASE}."},
    ).result_rows[0]
    if not count:
        return {"count": 0, "p50": None, "p99": None, "max": None}
    return {"count": count, "p50": round(p50 / 1000, 2), "p99": round(p99 / 1000, 2),
            "max": round(longest / 1000, 2)}  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=180, help="seconds of probing")
    parser.add_argument("--probe-every", type=float, default=10)
    parser.add_argument("--rate", type=float, default=40, help="background events/s")
    parser.add_argument("--senders", type=int, default=1, help="threads sending the rate")
    parser.add_argument("--timeout", type=float, default=300, help="give up on a probe after")
    args = parser.parse_args()

    settings = StackSettings()
    url = f"{settings.ingest.url}/v1/logs"
    key = settings.ingest.demo_api_key.get_secret_value()
    ch = clickhouse_connect.get_client(
        host=settings.clickhouse.host,
        port=settings.clickhouse.port,
        username=settings.clickhouse.user,
        password=settings.clickhouse.password.get_secret_value(),
    )
    stop = threading.Event()
    acked = [0, 0]  # events acknowledged, requests failed
    for _ in range(args.senders):
        share = args.rate / args.senders
        threading.Thread(
            target=steady_load, args=(url, key, share, stop, acked), daemon=True
        ).start()

    pending: dict[str, tuple[float, float]] = {}  # model → (monotonic, wall clock) of its ack
    lags: list[float] = []
    to_staging: list[float] = []
    to_rollup: list[float] = []
    lost = 0
    with httpx.Client(timeout=30) as client:
        warm_s = warm_up(client, ch, url, key, args.timeout)
        print(f"  warm-up probe visible after {warm_s:.1f}s", flush=True)
        started, started_wall = time.monotonic(), datetime.now(UTC)
        acked_at_start = acked[0]
        next_probe = started

        def step(probing: bool) -> None:
            """Post a probe when one is due, record the probes now in the rollup."""
            nonlocal next_probe, lost
            now = time.monotonic()
            if probing and now >= next_probe:
                model = f"probe-{uuid.uuid4().hex[:12]}"
                post(client, url, key, [event(model)])
                pending[model] = (time.monotonic(), time.time())  # the ack: 202 means durable
                next_probe = now + args.probe_every
            if pending:
                for model in visible(ch, list(pending)):
                    acked_mono, acked_wall = pending.pop(model)
                    lag = time.monotonic() - acked_mono
                    lags.append(lag)
                    staged = staged_at(ch, model)
                    split = ""
                    if staged is not None:
                        to_staging.append(staged - acked_wall)
                        to_rollup.append(lag - to_staging[-1])
                        split = f" (staged after {to_staging[-1]:.1f}s)"
                    print(f"  probe visible after {lag:.1f}s{split}", flush=True)
                for model, (acked_mono, _) in list(pending.items()):
                    if time.monotonic() - acked_mono > args.timeout:
                        pending.pop(model)
                        lost += 1
            time.sleep(0.5)

        # the CPU of the steady state: the probing, not the wait for its last probes
        with cpu_share(lambda: stack_processes(settings.state_path / "run")) as cpu:
            while time.monotonic() - started < args.duration:
                step(probing=True)
        while pending:
            step(probing=False)
        sent_s = time.monotonic() - started
    stop.set()

    figures = {
        "freshness_p50_s": round(statistics.median(lags), 1) if lags else None,
        "freshness_p95_s": round(percentile(lags, 0.95), 1) if lags else None,
        "freshness_max_s": round(max(lags), 1) if lags else None,
        "ack_to_staging_s": summary(to_staging),
        "staging_to_rollup_s": summary(to_rollup),
        "probes": len(lags),
        "probes_timed_out": lost,
        "background_events_per_s": args.rate,
        "background_events_acked_per_s": round((acked[0] - acked_at_start) / sent_s),
        "background_requests_failed": acked[1],
        "warm_up_s": round(warm_s, 1),
        "load_insert_s": load_insert_seconds(ch, started_wall),
        "load_average_1m": os.getloadavg()[0],
        "load_average_5m": os.getloadavg()[1],
    }
    for name, value in figures.items():
        unit = " s" if name.endswith("_s") else ""
        print(f"{name}: {value}{unit}")
    print(f"CPU over the {cpu['wall_s']:.0f} s of probing, by process tree:")
    print_shares(cpu)
    figures["cpu_s"] = cpu
    home = StackSettings().state_path / "dagster"
    if (home / "dagster.yaml").exists():  # the stack's own instance: where its runs spent time
        from dagster_runs import print_phases, run_phases

        print("Dagster runs of this stack, in seconds:")
        figures["run_phase_medians_s"] = print_phases(run_phases(home))
    out = ROOT / "bench" / "results" / "freshness.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
