"""Benchmark of the dbt project on the embedded ClickHouse: full refresh on N staged events, then
an incremental `dbt build` after 100k new events (late ones and replays among them), its time
and the rows its queries read per model (`system.query_log`: on a shared machine the rows read
show growth with history where the times carry the load's noise).

For each size (default 1M and 10M; `--sizes 1000000` for one) it starts a private server, stages
N events across the three log types with `INSERT … SELECT … FROM numbers()` (2% SDK retries;
history accumulated at `--events-per-day`, 1M by default, up to 4 hours ago; UUIDv7 event ids of
the event time, as the SDK's), times `dbt build --full-refresh`, stages 100k new events (1% late
by six hours, 1% replays of a stretch of old events), times `dbt build` as the Dagster build
after loads runs it (no unit tests, no `full_scan` tests), and checks every fact holds one row
per staged event id.

`--baseline DIR` (another checkout's `dbt_project/`, e.g. from `git worktree add /tmp/base
<commit>`) runs the same sizes on that project too, each on its own server with the same rows,
interleaved with this one, and prints the ratios. The figure that matters is the growth of the
incremental build from the smallest to the largest size (history-independent: close to 1).
Prints `name: value unit` lines; writes bench/results/dbt_incremental.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from dagster_project.clickhouse import staging_schema
from ollive_contract.events import LOG_TYPES
from ollive_contract.tables import staging_table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dbt_harness import DBT_NODE, PROJECT, Server, by_dbt_node, dbt, progress  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "dbt_incremental.json"
NEW_EVENTS = 100_000
SHARES = {"inference": 0.60, "tool_execution": 0.25, "application": 0.15}
# History accumulates at a constant rate, as a deployment's does: N events span N / EVENTS_PER_DAY
# days ending 4 hours ago (1M: a day, 10M: ten days), so a size differs from another in how far
# back history goes, not in how dense each hour of it is (`--events-per-day 0`: one day at any N).
EVENTS_PER_DAY = 1_000_000


def window_s(size: int, events_per_day: int) -> float:
    """The span of `size` base events in seconds."""
    return 24 * 3600 * (size / events_per_day if events_per_day else 1)


# Every column is a function of `idx` (the event) so a replay of idx is the same event; a retry
# (`retry`) is a second receipt one second later. `t` is the event time. The event id is a
# UUIDv7 of `t` as the SDK makes it: `m`, its unix milliseconds in hex, then random bits (`r`, a
# hash of idx), so ids sort by time only through the time in them, as real ones do.
ENVELOPE = """
    toUUID(concat(substring(m, 1, 8), '-', substring(m, 9, 4), '-7', substring(r, 1, 3), '-8',
                  substring(r, 4, 3), '-', substring(r, 7, 10), substring(h, 15, 2))),
    concat('proj-', toString(idx % 3)), concat('svc-', toString(idx % 4)),
    if(idx % 5 = 0, NULL, concat('user-', toString(idx % 5000))),
    t, t + toIntervalMillisecond(lat), t + toIntervalMillisecond(1500 + 1000 * retry),
    idx % 100 = 0, if(idx % 100 = 0, ['EMAIL_ADDRESS'], []), 1,
    concat('raw/bench/', toString(intDiv(idx, 5000)), '.ndjson.gz'), loaded"""
ENVELOPE_COLUMNS = (
    "event_id, project_id, service, user_id, started_at, finished_at, received_at, "
    "pii_detected, pii_entities, schema_version, _object_key, _loaded_at"
)
BY_TYPE = {
    "inference": (
        "provider, model, stream, latency_ms, ttft_ms, input_tokens, output_tokens, "
        "cached_input_tokens, reasoning_tokens, cost_usd, status, error_code, error_message",
        """['gcp.gemini', 'openai', 'anthropic'][idx % 3 + 1],
    [['gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.5-pro'],
     ['gpt-4o-mini', 'gpt-5', 'o4-mini'],
     ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-3-haiku']]
        [idx % 3 + 1][intDiv(idx, 3) % 3 + 1],
    idx % 2 = 0, lat, if(idx % 2 = 0, lat / 5, NULL), 200 + idx % 4000, 50 + idx % 800,
    if(idx % 4 = 0, 128, 0), if(idx % 3 = 0, 40, 0), if(idx % 9 = 0, 0.002, NULL),
    ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'error', 'cancelled', 'timeout'][idx % 10 + 1],
    if(idx % 10 = 7, 'UNAVAILABLE', NULL),
    if(idx % 10 = 7, concat('upstream 503 for user ', toString(idx % 5000)), NULL)""",
    ),
    "tool_execution": (
        "tool_name, latency_ms, status, error_message",
        """['get_weather', 'search_docs', 'send_email', 'lookup_order'][idx % 4 + 1], lat / 10,
    if(idx % 20 = 0, 'error', 'ok'), if(idx % 20 = 0, 'timeout calling backend', NULL)""",
    ),
    "application": (
        "level, logger, message",
        """['debug', 'info', 'info', 'info', 'warning', 'error'][idx % 6 + 1], 'chatbot',
    concat('handled turn ', toString(idx))""",
    ),
}


def insert_sql(log_type: str, events: str) -> str:
    """INSERT of the events `events` yields as (idx, retry, t, loaded) rows."""
    columns, values = BY_TYPE[log_type]
    return f"""
INSERT INTO {staging_table(log_type)} ({ENVELOPE_COLUMNS}, {columns})
SELECT {ENVELOPE}, {values}
FROM (
    SELECT idx, retry, t, loaded, leftPad(lower(hex(idx)), 16, '0') AS h,
           leftPad(lower(hex(toUnixTimestamp64Milli(t))), 12, '0') AS m,
           leftPad(lower(hex(cityHash64(idx))), 16, '0') AS r,
           100 + (idx * 7919) % 3000 AS lat
    FROM ({events})
)"""


def base_events(offset: int, n: int, now: float, span_s: float) -> str:
    """n events from idx offset, spread over the base window, 2% received twice (retries)."""
    start = now - 4 * 3600 - span_s
    step_ms = span_s * 1000 / max(n, 1)
    return f"""
SELECT {offset} + number AS idx, arrayJoin(if(number % 50 = 0, [0, 1], [0])) AS retry,
       toDateTime64({start}, 3, 'UTC') + toIntervalMillisecond(toUInt64(number * {step_ms})) AS t,
       t + toIntervalSecond(2) AS loaded
FROM numbers({n})"""


def new_events(
    offset: int, n: int, base_offset: int, base_n: int, base_now: float, span_s: float
) -> str:
    """n events loaded now: 98% new and recent, 1% late (six hours old), 1% replayed base ones.

    The replays are a contiguous run of base events, as a replayed raw object is (a backfill or
    a re-load of one object: one producer's batch, one stretch of time), from a third of the
    way into history."""
    replay_start = base_n // 3
    return f"""
SELECT if(number % 100 = 1, {base_offset} + {replay_start} + intDiv(number, 100),
          {offset} + number) AS idx,
       0 AS retry,
       multiIf(number % 100 = 1,
               toDateTime64({base_now - 4 * 3600 - span_s}, 3, 'UTC')
                   + toIntervalMillisecond(toUInt64(({replay_start} + intDiv(number, 100))
                                                    * {span_s * 1000 / base_n})),
               number % 100 = 2, now64(3, 'UTC') - toIntervalHour(6),
               now64(3, 'UTC') - toIntervalMinute(10) + toIntervalMillisecond(number * 5)) AS t,
       now64(3) AS loaded
FROM numbers({n})"""


def dbt_models(
    server: Server, workdir: Path, project: Path, *args: str
) -> tuple[float, dict[str, float], float]:
    """Wall time of a dbt command, the execution time of each model it ran, and the sum of its
    tests' execution times."""
    elapsed = dbt(server, workdir, *args, project=project)
    run_results = json.loads((workdir / "target" / "run_results.json").read_text())
    models = {
        r["unique_id"].split(".")[-1]: r["execution_time"]
        for r in run_results["results"]
        if r["unique_id"].startswith("model.")
    }
    tests = sum(
        r["execution_time"] for r in run_results["results"] if r["unique_id"].startswith("test.")
    )
    return elapsed, models, tests


def rows_read_by_node(server: Server, since: str) -> dict[str, int]:
    """Rows each dbt node's queries read since `since` (the server's `now64(6)` before the
    build), from `system.query_log`: what the build reads, independent of the machine's load.
    Queries without a node (such as dbt-clickhouse's `SELECT * FROM (<model>) LIMIT 0`, which
    builds the model's IN sets too) count under `""`; `unattributed_reads` names them."""
    return by_dbt_node(server.client, since, "sum(read_rows)")


def unattributed_reads(server: Server, since: str, top: int = 5) -> list[tuple[str, int]]:
    """The queries without a dbt node that read the most rows since `since`: the start of each
    (normalized) query and the rows its runs read, so what grows there can be named."""
    result = server.client.query(
        f"""SELECT substring(normalizeQuery(query), 1, 160) AS start, sum(read_rows) AS rows
            FROM system.query_log
            WHERE type = 'QueryFinish' AND event_time_microseconds >= {{since:DateTime64(6)}}
              AND {DBT_NODE} = ''
            GROUP BY start ORDER BY rows DESC LIMIT {{top:UInt32}}""",
        parameters={"since": since, "top": top},
    )
    return [(start, int(rows)) for start, rows in result.result_rows]


def _fmt(models: dict[str, float]) -> str:
    return ", ".join(f"{name} {secs:.2f}" for name, secs in sorted(models.items()))


def run_size(
    size: int, workdir: Path, project: Path, name: str, now: float, events_per_day: int
) -> dict[str, float]:
    """Stage `size` events, full refresh, stage 100k more, incremental build; `name` prefixes
    the progress lines and the result keys (`""` for this checkout)."""
    span_s = window_s(size, events_per_day)
    label = f"{size // 1_000_000}m" if size >= 1_000_000 else f"{size // 1000}k"
    label = f"{name}_{label}" if name else label
    server = Server(workdir / "data")
    try:
        client = server.client
        client.command(staging_schema.create_database())
        for log_type in LOG_TYPES:  # every source dbt reads, staged or not
            client.command(staging_schema.create_staging_table(log_type, ttl_days=None))
        offsets: dict[str, tuple[int, int]] = {}
        started = time.perf_counter()
        for i, (log_type, share) in enumerate(SHARES.items()):
            n = int(size * share)
            offset = i * 1_000_000_000
            offsets[log_type] = (offset, n)
            progress(f"{label}: staging {n:,} {log_type} events")
            client.command(insert_sql(log_type, base_events(offset, n, now, span_s)))
        stage_s = time.perf_counter() - started
        progress(f"{label}: staged in {stage_s:.1f} s; dbt build --full-refresh")
        full_s, full_models, _ = dbt_models(server, workdir, project, "build", "--full-refresh")
        progress(f"{label}: full refresh {full_s:.1f} s; staging {NEW_EVENTS:,} new events")
        for log_type, share in SHARES.items():
            offset, n = offsets[log_type]
            events = new_events(offset + n, int(NEW_EVENTS * share), offset, n, now, span_s)
            client.command(insert_sql(log_type, events))
        progress(f"{label}: dbt build (incremental)")
        since = str(client.query("SELECT toString(now64(6))").result_rows[0][0])
        incr_s, incr_models, incr_tests = dbt_models(
            server,
            workdir,
            project,
            "build",
            "--exclude-resource-type",
            "unit_test",
            # what the Dagster build after loads leaves out (a no-op on a project without it)
            "--exclude",
            "tag:full_scan",
        )
        progress(f"{label}: incremental {incr_s:.1f} s; per model: {_fmt(incr_models)}")
        progress(f"{label}: incremental tests {incr_tests:.1f} s")
        rows_read = rows_read_by_node(server, since)
        top = sorted(rows_read.items(), key=lambda item: -item[1])[:12]
        progress(f"{label}: rows read per node (M): " + ", ".join(
            f"{node or '(LIMIT 0)'} {rows / 1e6:.1f}" for node, rows in top))  # fmt: skip
        for start, rows in unattributed_reads(server, since):
            progress(f"{label}: without a node, {rows / 1e6:.2f}M rows: {start}")
        progress(f"{label}: full refresh per model: {_fmt(full_models)}")
        for log_type, fact in [
            ("inference", "fct_inferences"),
            ("tool_execution", "fct_tool_executions"),
            ("application", "fct_application_logs"),
        ]:
            staged = client.query(f"SELECT uniqExact(event_id) FROM {staging_table(log_type)}")
            facts = client.query(f"SELECT count(), uniqExact(event_id) FROM ollive.{fact}")
            [(ids,)] = staged.result_rows
            [(rows, distinct)] = facts.result_rows
            if not rows == distinct == ids:
                sys.exit(f"{fact}: {rows} rows, {distinct} ids, {ids} staged ids")
    finally:
        server.stop()
    results = {
        f"dbt_stage_rows_{label}_s": stage_s,
        f"dbt_full_refresh_build_{label}_s": full_s,
        f"dbt_full_refresh_models_{label}_s": sum(full_models.values()),
        f"dbt_full_refresh_fct_inferences_{label}_s": full_models["fct_inferences"],
        f"dbt_incremental_build_100k_on_{label}_s": incr_s,
        f"dbt_incremental_models_100k_on_{label}_s": sum(incr_models.values()),
        f"dbt_incremental_tests_100k_on_{label}_s": incr_tests,
        f"dbt_incremental_rows_read_100k_on_{label}_mrows": sum(rows_read.values()) / 1e6,
        f"dbt_incremental_fct_inferences_100k_on_{label}_s": incr_models["fct_inferences"],
        f"dbt_incremental_agg_inference_5m_100k_on_{label}_s": incr_models["agg_inference_5m"],
        f"dbt_full_over_incremental_build_{label}_ratio": full_s / incr_s,
    }
    for name, value in results.items():
        unit = {"_ratio": "x", "_mrows": "M rows"}.get(name[name.rfind("_") :], "s")
        short = name.removesuffix("_s").removesuffix("_ratio").removesuffix("_mrows")
        print(f"{short}: {value:.2f} {unit}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated N")
    parser.add_argument("--baseline", type=Path, help="another dbt_project/ to compare with")
    parser.add_argument(
        "--events-per-day", type=int, default=EVENTS_PER_DAY,
        help="rate history accumulated at (0: every size spans one day)",
    )  # fmt: skip
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    projects = [("", PROJECT)] + ([("base", args.baseline)] if args.baseline else [])
    now = time.time()
    results: dict[str, float] = {}
    for size in sizes:
        for name, project in projects:
            with tempfile.TemporaryDirectory(prefix="dbt-bench-") as tmp:
                results |= run_size(size, Path(tmp), project, name, now, args.events_per_day)
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(results, indent=2))
    ratios: dict[str, float] = {}
    for name, _ in projects:
        prefix = f"{name}_" if name else ""
        key = f"dbt_incremental_build_100k_on_{prefix}{{}}_s"
        first, last = (f"{s // 1_000_000}m" if s >= 1_000_000 else f"{s // 1000}k"
                       for s in (sizes[0], sizes[-1]))  # fmt: skip
        if len(sizes) > 1:
            growth = results[key.format(last)] / results[key.format(first)]
            ratios[f"dbt_incremental_growth_{prefix}{first}_to_{last}_ratio"] = growth
    if args.baseline:
        for size in sizes:
            label = f"{size // 1_000_000}m" if size >= 1_000_000 else f"{size // 1000}k"
            ratios[f"dbt_incremental_build_{label}_over_base_ratio"] = (
                results[f"dbt_incremental_build_100k_on_{label}_s"]
                / results[f"dbt_incremental_build_100k_on_base_{label}_s"]
            )
    for name, value in ratios.items():
        print(f"{name.removesuffix('_ratio')}: {value:.2f} x", flush=True)
    RESULTS.write_text(json.dumps(results | ratios, indent=2))


if __name__ == "__main__":
    main()
