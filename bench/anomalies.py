"""Benchmark of the anomaly model: recall, time to detect and false alarms on a simulated month.

Simulates inference events minute by minute for six series (daily peaks, quieter weekends,
day-to-day drift, Poisson arrivals, log-normal latency, TTFT and cost, 2% errors): three weeks
of history and one evaluated week, with incidents injected at known times in the evaluated week
(error bursts, latency and TTFT spikes that move the whole distribution, a latency regression
of the tail only, a cost jump, traffic drops) and one in the history. Aggregates them into rows
of `agg_inference_5m`'s shape (exact per-bucket quantiles) and of `agg_inference_1m`'s (per
minute, with the minute's latencies and TTFTs, aggregated by ClickHouse from the simulated
events), writes them into tables of those names and types on a private embedded ClickHouse,
and runs the real models against them: `dbt run --full-refresh` on all but the last day, then
the last day as an incremental run. Then from `anomalies_5m` (5-minute windows, aligned
buckets or windows sliding by the minute, whichever the models flag):

- recall: incidents with a flagged window of their series and metric family (p50 or p95 for
  latency and TTFT) while they last;
- time to detect: end of the first such window (when it is complete) minus the incident start;
- false alarms: flagged windows of the evaluated week with no incident on their series at the
  time, per simulated day; the flagged windows of one series and metric that overlap or touch
  are one alarm (one excursion flags up to five windows sliding by the minute, or two aligned
  buckets in a row), and the rows are reported too.

`--baseline-rev REV` scores every month a second time with the models as they were at git
revision REV (same data, same run) and reports those figures beside, with ratios.
`--held-out 23,29` reports the figures of those seeds apart as well (seeds the rule was not
chosen on). `--sweep anomaly_z_threshold=4,5,6` re-scores with each value (full refresh) and
reports each; it may be given more than once. Prints `name: value unit` lines; writes
bench/results/anomalies.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench.ingest_common as common  # noqa: E402
from bench.dbt_harness import PROJECT, Server, dbt, progress  # noqa: E402

T0 = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
HISTORY_WEEKS = 3
DAYS = 7 * (HISTORY_WEEKS + 1)
EVAL_START = T0 + timedelta(weeks=HISTORY_WEEKS)
EVAL_END = T0 + timedelta(days=DAYS)


@dataclass(frozen=True)
class Series:
    project_id: str
    service: str
    provider: str
    model: str
    peak_per_5m: float  # requests per 5 minutes at the weekday peak
    latency_ms: float  # median latency
    cost_usd: float  # median cost per request


SERIES = [
    Series("proj-a", "chat-api", "gcp.gemini", "gemini-2.5-flash", 300, 900, 0.0015),
    Series("proj-a", "chat-api", "openai", "gpt-4o-mini", 150, 700, 0.0008),
    Series("proj-a", "chat-api", "gcp.gemini", "gemini-2.5-flash-lite", 100, 400, 0.0003),
    Series("proj-a", "agent", "anthropic", "claude-sonnet-4-5", 60, 2500, 0.0120),
    Series("proj-b", "support-bot", "gcp.gemini", "gemini-2.5-pro", 40, 3000, 0.0100),
    Series("proj-b", "batch", "openai", "gpt-5", 8, 6000, 0.0300),  # below the volume rule
]


@dataclass(frozen=True)
class Incident:
    name: str
    series: int  # index into SERIES
    metric: str  # the metric it should be flagged on
    start: datetime
    minutes: int
    factor: float  # multiplies the error probability, latency, TTFT, cost or arrival rate
    share: float = 1.0  # of the events it touches: 1 moves the whole distribution, less a tail

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


def _at(day: int, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return EVAL_START + timedelta(days=day, hours=hours, minutes=minutes)


INCIDENTS = [
    Incident("traffic_drop", 0, "requests", _at(0, "09:52"), 30, 0.25),
    Incident("error_burst", 0, "error_rate", _at(1, "14:07"), 25, 12.0),
    Incident("latency_spike", 1, "latency_p95_ms", _at(2, "10:33"), 20, 2.5),
    Incident("ttft_spike", 2, "ttft_p95_ms", _at(3, "16:41"), 15, 3.0),
    Incident("outage", 1, "requests", _at(3, "19:26"), 15, 0.0),
    Incident("cost_jump", 3, "cost_per_request_usd", _at(4, "11:18"), 60, 2.0),
    Incident("weekend_error_burst", 2, "error_rate", _at(5, "13:03"), 20, 15.0),
    Incident("sunday_morning_latency_spike", 0, "latency_p95_ms", _at(6, "08:14"), 20, 2.0),
    # a slow replica: one request in ten five times slower; the median barely moves
    Incident("tail_latency_regression", 1, "latency_p95_ms", _at(4, "15:37"), 25, 5.0, 0.1),
]
# in buckets of fewer events than the volume rule (about 10): reported, not counted in recall
BELOW_VOLUME = [
    Incident("low_volume_error_burst", 4, "error_rate", _at(5, "13:03"), 20, 15.0),
    Incident("night_latency_spike", 0, "latency_p95_ms", _at(6, "03:14"), 20, 2.0),
]
# in the history, at the same slot as an evaluated incident: the baseline must shrug it off
HISTORY_INCIDENTS = [
    Incident("history_error_burst", 0, "error_rate", _at(-7 + 1, "14:02"), 30, 12.0),
]
EFFECT = {  # incident metric → the per-event quantity its factor multiplies
    "requests": "rate",
    "error_rate": "error",
    "latency_p95_ms": "latency",
    "ttft_p95_ms": "ttft",
    "cost_per_request_usd": "cost",
}
# incident metric → the scored metrics that find it (a latency incident by its p50 or its p95)
FAMILY = {
    "latency_p95_ms": ("latency_p50_ms", "latency_p95_ms"),
    "ttft_p95_ms": ("ttft_p50_ms", "ttft_p95_ms"),
}
COLUMNS = [
    "bucket_start", "project_id", "service", "provider", "model", "requests", "errors",
    "error_rate", "streaming_requests", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
    "ttft_p50_ms", "ttft_p95_ms", "ttft_p99_ms", "cost_usd", "unpriced_requests",
    "last_loaded_at",
]  # fmt: skip


# the columns of agg_inference_5m the anomaly models read, with the rollup's types: written
# directly, so the models are measured on their own (the rollup's own build is not under test)
ROLLUP_DDL = """
CREATE TABLE ollive.agg_inference_5m (
    bucket_start DateTime('UTC'), project_id LowCardinality(String),
    service LowCardinality(String), provider LowCardinality(String),
    model LowCardinality(String), requests UInt64, errors UInt64, error_rate Float64,
    streaming_requests UInt64, latency_p50_ms Float64, latency_p95_ms Float64,
    latency_p99_ms Float64, ttft_p50_ms Nullable(Float64), ttft_p95_ms Nullable(Float64),
    ttft_p99_ms Nullable(Float64), cost_usd Nullable(Float64), unpriced_requests UInt64,
    last_loaded_at DateTime64(3, 'UTC')
) ENGINE = MergeTree ORDER BY (bucket_start, project_id, service, provider, model)
"""
# agg_inference_1m's columns and types, filled from the simulated events by ClickHouse itself
MINUTES_DDL = """
CREATE TABLE ollive.agg_inference_1m (
    minute_start DateTime('UTC'), bucket_start DateTime('UTC'),
    project_id LowCardinality(String), service LowCardinality(String),
    provider LowCardinality(String), model LowCardinality(String), requests UInt64,
    errors UInt64, streaming_requests UInt64, latencies_ms Array(Float64),
    ttfts_ms Array(Float64), cost_usd Nullable(Float64), unpriced_requests UInt64,
    last_loaded_at DateTime64(3, 'UTC')
) ENGINE = MergeTree ORDER BY (minute_start, project_id, service, provider, model)
"""
EVENTS_DDL = """
CREATE TABLE ollive.bench_events (
    minute UInt32, series UInt8, is_error Bool, is_stream Bool, latency_ms Float64,
    ttft_ms Float64, cost_usd Float64
) ENGINE = MergeTree ORDER BY (minute, series)
"""
EVENT_COLUMNS = ["minute", "series", "is_error", "is_stream", "latency_ms", "ttft_ms", "cost_usd"]


def daily_shape(minute_of_day: np.ndarray) -> np.ndarray:
    """Quiet nights, a late-morning and a mid-afternoon peak (1.0 at the top)."""
    hour = minute_of_day / 60
    morning = np.exp(-(((hour - 10.5) / 2.2) ** 2))
    afternoon = 0.9 * np.exp(-(((hour - 15.5) / 2.5) ** 2))
    return 0.12 + 0.88 * np.maximum(morning, afternoon)


def factors(series: int, minutes: int) -> dict[str, np.ndarray]:
    """Per minute, what the incidents on `series` multiply (`<kind>_tail` by `<kind>_share`
    of the events, for an incident on a share of them only)."""
    out = {kind: np.ones(minutes) for kind in EFFECT.values()}
    out |= {f"{kind}_tail": np.ones(minutes) for kind in EFFECT.values()}
    out |= {f"{kind}_share": np.zeros(minutes) for kind in EFFECT.values()}
    for incident in [*INCIDENTS, *BELOW_VOLUME, *HISTORY_INCIDENTS]:
        if incident.series == series:
            first = int((incident.start - T0).total_seconds() // 60)
            during = slice(first, first + incident.minutes)
            kind = EFFECT[incident.metric]
            if incident.share < 1:
                out[f"{kind}_tail"][during] *= incident.factor
                out[f"{kind}_share"][during] = incident.share
            else:
                out[kind][during] *= incident.factor
    return out


def quantiles_by_bucket(buckets: np.ndarray, values: np.ndarray, n: int) -> list[np.ndarray]:
    """Exact p50, p95, p99 of `values` per bucket (element floor(q * count) of the sorted
    bucket, as ClickHouse's quantileExact); NaN for an empty bucket."""
    order = np.lexsort((values, buckets))
    counts = np.bincount(buckets, minlength=n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    out = []
    for q in (0.5, 0.95, 0.99):
        idx = starts + np.minimum(np.floor(q * counts).astype(int), np.maximum(counts - 1, 0))
        picked = values[order][np.minimum(idx, len(values) - 1)] if len(values) else idx * 0.0
        out.append(np.where(counts > 0, picked, np.nan))
    return out


def simulate(seed: int) -> tuple[list[list], dict[str, np.ndarray]]:
    """Rollup rows of every series, and the events they hold (columns of `bench_events`)."""
    rng = np.random.default_rng(seed)
    minutes = DAYS * 1440
    minute = np.arange(minutes)
    weekday = (minute // 1440) % 7  # T0 is a Monday
    weekly = np.where(weekday == 5, 0.5, np.where(weekday == 6, 0.4, 1.0))
    load = daily_shape(minute % 1440) * weekly
    n_buckets = minutes // 5
    rows, events = [], []
    for index, s in enumerate(SERIES):
        f = factors(index, minutes)
        drift = np.repeat(rng.lognormal(0, 0.05, DAYS), 1440)  # day-to-day variation
        counts = rng.poisson(s.peak_per_5m / 5 * load * drift * f["rate"])
        at = np.repeat(minute, counts)
        n = len(at)
        bucket = at // 5
        error = rng.random(n) < np.minimum(0.02 * f["error"][at], 1.0)
        # busier is slower: +25% latency at the peak
        latency = s.latency_ms * (1 + 0.25 * load[at]) * rng.lognormal(0, 0.45, n)
        latency *= f["latency"][at]
        # a generator of its own, so the draws above are those of the months without it
        tail_rng = np.random.default_rng([seed, index])
        in_tail = tail_rng.random(n) < f["latency_share"][at]
        latency *= np.where(in_tail, f["latency_tail"][at], 1.0)
        stream = rng.random(n) < 0.6
        ttft = s.latency_ms / 4 * rng.lognormal(0, 0.5, n) * f["ttft"][at]
        cost = s.cost_usd * rng.lognormal(0, 0.5, n) * f["cost"][at]
        events.append([at, np.full(n, index), error, stream, latency, ttft, cost])

        requests = np.bincount(bucket, minlength=n_buckets)
        errors = np.bincount(bucket, weights=error, minlength=n_buckets)
        streams = np.bincount(bucket[stream], minlength=n_buckets)
        costs = np.bincount(bucket, weights=cost, minlength=n_buckets)
        lat = quantiles_by_bucket(bucket, latency, n_buckets)
        tt = quantiles_by_bucket(bucket[stream], ttft[stream], n_buckets)
        for b in np.flatnonzero(requests):
            start = T0 + timedelta(minutes=5 * int(b))
            rows.append(
                [
                    start, s.project_id, s.service, s.provider, s.model, int(requests[b]),
                    int(errors[b]), errors[b] / requests[b], int(streams[b]),
                    lat[0][b], lat[1][b], lat[2][b], tt[0][b], tt[1][b], tt[2][b],
                    float(costs[b]), 0, start + timedelta(minutes=6),
                ]
            )  # fmt: skip
    columns = {name: np.concatenate([e[i] for e in events]) for i, name in enumerate(EVENT_COLUMNS)}
    return rows, columns


def minute_rollup(since: datetime, until: datetime) -> str:
    """`agg_inference_1m`'s rows of [since, until) from `bench_events`: the minute's values
    sorted, loaded as the 5-minute rows are, 6 minutes after their bucket starts."""
    pick = lambda attr: f"[{', '.join(repr(getattr(s, attr)) for s in SERIES)}][series + 1]"  # noqa: E731
    first, last = ((t - T0) // timedelta(minutes=1) for t in (since, until))
    return f"""
INSERT INTO ollive.agg_inference_1m
SELECT
    toDateTime('{T0:%F %T}', 'UTC') + toIntervalMinute(minute) AS minute_start,
    toStartOfFiveMinutes(minute_start) AS bucket_start,
    {pick("project_id")}, {pick("service")}, {pick("provider")}, {pick("model")},
    count(), countIf(is_error), countIf(is_stream), arraySort(groupArray(latency_ms)),
    arraySort(groupArrayIf(ttft_ms, is_stream)), sum(cost_usd), 0,
    toDateTime64(bucket_start, 3, 'UTC') + toIntervalMinute(6)
FROM ollive.bench_events
WHERE minute >= {first} AND minute < {last}
GROUP BY minute, series
"""


def evaluate(client) -> dict:
    """Recall, time to detect and false alarms from `anomalies_5m`."""
    flagged = client.query(
        "SELECT bucket_start, project_id, service, provider, model, metric FROM ollive.anomalies_5m"
        " WHERE bucket_start >= {start:DateTime} AND bucket_start < {end:DateTime}",
        parameters={"start": EVAL_START.replace(tzinfo=None), "end": EVAL_END.replace(tzinfo=None)},
    ).result_rows
    keys = [(s.project_id, s.service, s.provider, s.model) for s in SERIES]
    flags = [(b.replace(tzinfo=UTC), keys.index(tuple(k)), m) for b, *k, m in flagged]
    bucket = timedelta(minutes=5)  # a window's length, aligned or sliding
    ttd: dict[str, float | None] = {}
    found_by: dict[str, list[str]] = {}
    for inc in [*INCIDENTS, *BELOW_VOLUME]:
        metrics = FAMILY.get(inc.metric, (inc.metric,))
        hits = [
            (b, m) for b, s, m in flags
            if s == inc.series and m in metrics and b + bucket > inc.start and b < inc.end
        ]  # fmt: skip
        first = min((b for b, _ in hits), default=None)
        ttd[inc.name] = (first + bucket - inc.start).total_seconds() / 60 if first else None
        # which metrics flagged the first bucket: a median, a p95, or both
        found_by[inc.name] = sorted(m for b, m in hits if b == first)
    false_rows = sorted(
        (s, m, b)
        for b, s, m in flags
        if not any(
            i.series == s and b + bucket > i.start and b < i.end
            for i in [*INCIDENTS, *BELOW_VOLUME]
        )
    )
    # one alarm per run of windows of a series and metric that overlap or touch: (first window,
    # model, metric, windows flagged)
    false_alarms: list[tuple[str, str, str, int]] = []
    previous = None
    for s, m, b in false_rows:
        if previous and previous[:2] == (s, m) and b - previous[2] <= bucket:
            first, model, metric, windows = false_alarms[-1]
            false_alarms[-1] = (first, model, metric, windows + 1)
        else:
            false_alarms.append((str(b), SERIES[s].model, m, 1))
        previous = (s, m, b)
    found = [ttd[i.name] for i in INCIDENTS if ttd[i.name] is not None]
    return {
        "incidents": len(INCIDENTS),
        "found": len(found),
        "ttd": ttd,
        "found_by": found_by,
        "ttd_max_min": max(found, default=float("nan")),
        "ttd_median_min": float(np.median(found)) if found else float("nan"),
        "flagged_rows": len(flags),
        "false_alarms": false_alarms,
        "false_alarm_rows": len(false_rows),
        "false_alarms_per_day": len(false_alarms) / 7,
    }


def score(server: Server, workdir: Path, project: Path, rows: list[list], dbt_vars: dict) -> dict:
    """Score a month with the models of `project`: a full refresh on all but the last day, then
    the last day incrementally; the evaluation and the dbt times. `bench_events` holds the
    month's events."""
    client = server.client
    client.command("TRUNCATE TABLE ollive.agg_inference_5m")
    client.command("TRUNCATE TABLE ollive.agg_inference_1m")
    last_day = EVAL_END - timedelta(days=1)
    client.insert("ollive.agg_inference_5m", [r for r in rows if r[0] < last_day], COLUMNS)
    client.command(minute_rollup(T0, last_day))
    vars_arg = ["--vars", json.dumps(dbt_vars)]
    run = ["run", "-s", "tag:anomaly", *vars_arg]
    full_s = dbt(server, workdir, *run, "--full-refresh", project=project)
    client.insert("ollive.agg_inference_5m", [r for r in rows if r[0] >= last_day], COLUMNS)
    client.command(minute_rollup(last_day, EVAL_END))
    incremental_s = dbt(server, workdir, *run, project=project)
    [(scored,)] = client.query("SELECT count() FROM ollive.anomaly_scores_5m").result_rows
    return evaluate(client) | {
        "scored_rows": scored, "full_s": full_s, "incremental_s": incremental_s
    }  # fmt: skip


def within_10_min(result: dict) -> int:
    return sum(1 for i in INCIDENTS if (result["ttd"][i.name] or 99) <= 10)


def run_seed(
    server: Server, workdir: Path, seed: int, dbt_vars: dict, sweep: list, baseline: Path | None
) -> dict:
    """Simulate, score with the baseline's models (if any) and the current ones, evaluate."""
    started = time.perf_counter()
    rows, columns = simulate(seed)
    events = len(columns["minute"])
    server.client.command("TRUNCATE TABLE ollive.bench_events")
    server.client.insert(
        "ollive.bench_events", list(columns.values()), EVENT_COLUMNS, column_oriented=True
    )
    progress(f"seed {seed}: {events:,} events in {len(rows):,} rollup rows "
             f"({time.perf_counter() - started:.1f}s)")  # fmt: skip
    before = None
    if baseline is not None:
        before = score(server, workdir / "baseline", baseline, rows, dbt_vars)
        progress(f"seed {seed}: baseline: {within_10_min(before)}/{before['incidents']} within "
                 f"10 min, {len(before['false_alarms'])} false alarms")  # fmt: skip
    result = score(server, workdir / "current", PROJECT, rows, dbt_vars)
    progress(
        f"seed {seed}: full run {result['full_s']:.1f}s, incremental"
        f" {result['incremental_s']:.1f}s; found {result['found']}/{result['incidents']},"
        f" {within_10_min(result)} within 10 min,"
        f" ttd max {result['ttd_max_min']:.0f} min, {len(result['false_alarms'])} false alarms"
        f" ({result['false_alarm_rows']} rows)"
    )
    result |= {"seed": seed, "events": events, "rollup_rows": len(rows), "baseline": before,
               "sweep": {}}  # fmt: skip
    for name, value in sweep:
        dbt(server, workdir / "current", "run", "--full-refresh", "-s", "tag:anomaly",
            "--vars", json.dumps({**dbt_vars, name: float(value)}))  # fmt: skip
        r = evaluate(server.client)
        result["sweep"][f"{name}={value}"] = {
            "found_within_10_min": within_10_min(r),
            "ttd": r["ttd"],
            "false_alarms_per_day": r["false_alarms_per_day"],
            "false_alarms": r["false_alarms"],
        }
        progress(f"seed {seed}: {name}={value}: {within_10_min(r)}/{r['incidents']} within "
                 f"10 min, {r['false_alarms_per_day']:.2f} false alarms/day")  # fmt: skip
    return result


def checkout(rev: str, into: Path) -> Path:
    """The dbt project as it was at git revision `rev`, extracted under `into`."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", rev, "dbt_project"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "dbt_project"


def summary(results: list[dict]) -> dict[str, tuple[float, str]]:
    """Recall, time to detect and false alarms over `results` (one per simulated month)."""
    ttds = [r["ttd"][i.name] for r in results for i in INCIDENTS]
    found = [t for t in ttds if t is not None]
    days = 7 * len(results)
    false_alarms = sum(len(r["false_alarms"]) for r in results)
    return {
        "incidents": (len(ttds), "incidents"),
        "incidents_found": (len(found), "incidents"),
        "incidents_found_within_10_min": (sum(t <= 10 for t in found), "incidents"),
        "recall": (len(found) / len(ttds), "ratio"),
        "ttd_median": (float(np.median(found)) if found else float("nan"), "min"),
        "ttd_max": (max(found, default=float("nan")), "min"),
        "false_alarms": (false_alarms, "alarms"),
        "false_alarm_rows": (sum(r["false_alarm_rows"] for r in results), "rows"),
        "false_alarms_per_day": (false_alarms / days, "per day"),
        "false_alarms_per_day_worst_month": (
            max(r["false_alarms_per_day"] for r in results),
            "per day",
        ),
    }


def print_month(r: dict) -> None:
    print(f"seed {r['seed']}:")
    for inc in [*INCIDENTS, *BELOW_VOLUME]:
        minutes = r["ttd"][inc.name]
        found = (
            f"detected after {minutes:.0f} min ({', '.join(r['found_by'][inc.name])})"
            if minutes is not None
            else "not detected"
        )
        below = " (below the volume rule, not counted)" if inc in BELOW_VOLUME else ""
        print(f"  {inc.name} ({SERIES[inc.series].model}, {inc.metric}): {found}{below}")
    for alarm in r["false_alarms"]:
        print(f"  false alarm: {alarm}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="7,11,13,17,19", help="one simulated month per seed")
    parser.add_argument("--held-out", default="", help="seeds also reported apart")
    parser.add_argument("--baseline-rev", help="git revision whose models score the same months")
    parser.add_argument("--vars", default="{}", help="dbt vars (JSON) for the main runs")
    parser.add_argument(
        "--sweep",
        action="append",
        default=[],
        help="NAME=V1,V2,…: also re-score with each value of a var (may be repeated)",
    )
    args = parser.parse_args()
    dbt_vars = json.loads(args.vars)
    sweep = []
    for each in args.sweep:
        name, values = each.split("=", 1)
        sweep += [(name, v) for v in values.split(",")]
    held_out = {int(s) for s in args.held_out.split(",") if s}
    load_start = os.getloadavg()[0]

    results = []
    with tempfile.TemporaryDirectory(prefix="ollive-bench-anomalies-") as tmp:
        workdir = Path(tmp)
        baseline = checkout(args.baseline_rev, workdir / "rev") if args.baseline_rev else None
        server = Server(workdir / "data")
        try:
            server.client.command("CREATE DATABASE ollive")
            for ddl in (ROLLUP_DDL, MINUTES_DDL, EVENTS_DDL):
                server.client.command(ddl)
            for seed in map(int, args.seeds.split(",")):
                results.append(run_seed(server, workdir, seed, dbt_vars, sweep, baseline))
        finally:
            server.stop()
    load_end = os.getloadavg()[0]

    for r in results:
        print_month(r)
    figures = {
        "simulated_months": (len(results), "months"),
        "simulated_events_per_month": (results[0]["events"], "events"),
        "rollup_rows_per_month": (results[0]["rollup_rows"], "rows"),
        **summary(results),
    }
    groups = {
        "tuning": [r for r in results if r["seed"] not in held_out],
        "held_out": [r for r in results if r["seed"] in held_out],
    }
    for group, members in groups.items():
        if held_out and members:
            figures |= {f"{group}_{k}": v for k, v in summary(members).items()}
    if baseline is not None:
        before = summary([r["baseline"] for r in results])
        figures |= {f"baseline_{k}": v for k, v in before.items()}
        for key in ("incidents_found_within_10_min", "false_alarms_per_day"):
            ratio = figures[key][0] / before[key][0] if before[key][0] else float("nan")
            figures[f"{key}_vs_baseline"] = (ratio, "x")
    for key in results[0]["sweep"]:
        runs = [r["sweep"][key] for r in results]
        figures |= {
            f"sweep_{key}_found_within_10_min": (
                sum(run["found_within_10_min"] for run in runs), "incidents"
            ),
            f"sweep_{key}_false_alarms": (
                sum(len(run["false_alarms"]) for run in runs), "alarms"
            ),
            f"sweep_{key}_false_alarms_per_day_worst_month": (
                max(run["false_alarms_per_day"] for run in runs), "per day"
            ),
        }  # fmt: skip
    figures |= {
        "dbt_full_refresh_median": (float(np.median([r["full_s"] for r in results])), "s"),
        "dbt_incremental_last_day_median": (
            float(np.median([r["incremental_s"] for r in results])),
            "s",
        ),
        "load_average_start": (load_start, ""),
        "load_average_end": (load_end, ""),
    }
    keys = ("seed", "found", "ttd", "found_by", "false_alarms", "false_alarm_rows",
            "false_alarms_per_day", "sweep")  # fmt: skip
    per_seed = [
        {k: r[k] for k in keys}
        | ({"baseline": {k: r["baseline"][k] for k in keys[1:-1]}} if r["baseline"] else {})
        for r in results
    ]
    common.report(
        "anomalies",
        figures,
        {"vars": dbt_vars, "baseline_rev": args.baseline_rev, "held_out": sorted(held_out),
         "per_seed": per_seed},
    )  # fmt: skip


if __name__ == "__main__":
    main()
