"""Marts for the Superset benchmark, built the way production builds them: N events staged in
the loader's staging tables (spread over the last `days` days, ending now), then `dbt run`.

`dbt_incremental`'s envelope and per-type columns give the staged rows (every column a function
of the event index); here they are also placed in traces and conversations, so that fct_traces,
fct_conversations and the trace views have production's shape: a model call every 5 events
on average, each trace (turn) one `chat turn` span block (where the application share allows),
the model calls and tool runs under it, three turns per conversation. Nothing here imports from
tests/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from dagster_project.clickhouse import staging_schema
from ollive_contract.events import LOG_TYPES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dbt_incremental import BY_TYPE, ENVELOPE, ENVELOPE_COLUMNS, SHARES

from ollive_contract.tables import staging_table

TYPE_OFFSET = 1_000_000_000  # event indexes of log type i start at i * TYPE_OFFSET
MODEL_CALLS_PER_TRACE = 3
TURNS_PER_CONVERSATION = 3
# application events are the turns' `chat turn` span blocks (the SDK's trace() events)
SPAN_BLOCKS = (
    "level, logger, message, metadata",
    """'info', 'ollive.span', 'chat turn',
    map('ollive.span.kind', 'agent', 'ollive.span.status', 'ok')""",
)

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


def events_sql(offset: int, n: int, days: int) -> str:
    """n events from index `offset`, evenly spread over the `days` days before now, no retries."""
    window_ms = days * 86_400_000
    return f"""
SELECT {offset} + number AS idx, 0 AS retry,
       now64(3, 'UTC') - toIntervalMillisecond({window_ms})
           + toIntervalMillisecond(toUInt64(number * {window_ms / max(n, 1)})) AS t,
       now64(3) AS loaded
FROM numbers({n})"""


def traced_insert_sql(log_type: str, events: str, offset: int, counts: dict[str, int]) -> str:
    """INSERT of `events` of `log_type` (indexes from `offset`), each placed in a trace: the
    i-th of n events of a type goes to trace floor(i * traces / n), so a trace's events share
    their time; a span block is its root, the parent of its model calls and tool runs."""
    columns, values = SPAN_BLOCKS if log_type == "application" else BY_TYPE[log_type]
    traces = max(1, counts["inference"] // MODEL_CALLS_PER_TRACE)
    blocks, n = counts["application"], counts[log_type]
    block_offset = list(SHARES).index("application") * TYPE_OFFSET
    # the trace's block: the first application event mapped to it, if one is
    block = f"intDiv(tr * {blocks} + {traces - 1}, {traces})"
    parent = (
        "NULL"
        if log_type == "application"
        else f"if({block} < {blocks} and intDiv({block} * {traces}, {blocks}) = tr, "
        f"leftPad(lower(hex({block_offset} + {block})), 16, '0'), NULL)"
    )
    return f"""
INSERT INTO {staging_table(log_type)} ({ENVELOPE_COLUMNS}, {columns},
    trace_id, span_id, parent_span_id, conversation_id, session_id)
SELECT {ENVELOPE}, {values},
    leftPad(lower(hex(tr)), 32, '0'), h, {parent},
    concat('conv-', toString(intDiv(tr, {TURNS_PER_CONVERSATION}))),
    concat('sess-', toString(intDiv(tr, {TURNS_PER_CONVERSATION * 10})))
FROM (
    SELECT idx, retry, t, loaded, leftPad(lower(hex(idx)), 16, '0') AS h,
           leftPad(lower(hex(toUnixTimestamp64Milli(t))), 12, '0') AS m,
           leftPad(lower(hex(cityHash64(idx))), 16, '0') AS r,
           100 + (idx * 7919) % 3000 AS lat,
           intDiv((idx - {offset}) * {traces}, {max(n, 1)}) AS tr
    FROM ({events})
)"""


def create_ledgers(client) -> None:
    """The loader's manifest and quarantine, empty: the Privacy dashboard's pipeline-health
    tiles read them."""
    client.command(staging_schema.create_database())
    client.command(staging_schema.create_load_manifest())
    client.command(staging_schema.create_quarantine())


def stage(client, events: int, days: int) -> None:
    """Create the staging tables and stage `events` events across the log types."""
    client.command(staging_schema.create_database())
    for log_type in LOG_TYPES:  # every source dbt reads, staged or not
        client.command(staging_schema.create_staging_table(log_type, ttl_days=None))
    counts = {log_type: int(events * share) for log_type, share in SHARES.items()}
    for i, log_type in enumerate(SHARES):
        offset = i * TYPE_OFFSET
        started = time.perf_counter()
        client.command(
            traced_insert_sql(log_type, events_sql(offset, counts[log_type], days), offset, counts)
        )
        secs = time.perf_counter() - started
        progress(f"staged {counts[log_type]:,} {log_type} events in {secs:.0f} s")


def dbt_run(settings, workdir: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    """`dbt seed` + `dbt run` (models only: tests are dbt's own benchmark); each model's time.
    `env`: more variables for dbt."""
    env = {
        **os.environ,
        "OLLIVE_CLICKHOUSE_HOST": settings.clickhouse.host,
        "OLLIVE_CLICKHOUSE_PORT": str(settings.clickhouse.port),
        "OLLIVE_CLICKHOUSE_USER": settings.clickhouse.user,
        "OLLIVE_CLICKHOUSE_PASSWORD": settings.clickhouse.password.get_secret_value(),
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # the first build of a 10M history runs single queries of many minutes on two cores
        "OLLIVE_PIPELINE_DBT_QUERY_TIMEOUT_SECONDS": "7200",
        **(env or {}),
    }
    models: dict[str, float] = {}
    for command in ("seed", "run"):
        progress(f"dbt {command} …")
        lines: list[str] = []
        with subprocess.Popen(
            [str(DBT), command, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=PROJECT,
        ) as dbt:  # fmt: skip
            for line in dbt.stdout or ():
                lines.append(line)
                if " OK " in line or "ERROR" in line:  # one line per model done
                    progress(f"  {line.strip()}")
        if dbt.returncode != 0:
            sys.exit(f"dbt {command} failed:\n{''.join(lines)[-5000:]}")
        results = json.loads((workdir / "target" / "run_results.json").read_text())["results"]
        models |= {
            r["unique_id"].split(".")[-1]: r["execution_time"]
            for r in results
            if r["unique_id"].startswith("model.")
        }
    return models


def progress(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


def build_marts(settings, client, events: int, days: int, workdir: Path) -> dict[str, float]:
    """Stage and build; returns the timings (s) of both steps."""
    started = time.perf_counter()
    stage(client, events, days)
    staged = time.perf_counter()
    models = dbt_run(settings, workdir)
    return {
        "stage_s": staged - started,
        "dbt_run_s": time.perf_counter() - staged,
        "dbt_models_s": sum(models.values()),
    }
