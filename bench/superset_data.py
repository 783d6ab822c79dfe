"""Marts for the Superset benchmark, built the way production builds them: N events staged in
the loader's staging tables (spread over the last `days` days, ending now), then `dbt run`.

`dbt_incremental.insert_sql` gives the staged rows (every column a function of the event
index); nothing here imports from tests/.
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
from dbt_incremental import SHARES, insert_sql

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


def stage(client, events: int, days: int) -> None:
    """Create the staging tables and stage `events` events across the three log types."""
    client.command(staging_schema.create_database())
    for log_type in LOG_TYPES:  # every source dbt reads, staged or not
        client.command(staging_schema.create_staging_table(log_type, ttl_days=None))
    for i, (log_type, share) in enumerate(SHARES.items()):
        client.command(staging_schema.create_staging_table(log_type, ttl_days=None))
        client.command(
            insert_sql(log_type, events_sql(i * 1_000_000_000, int(events * share), days))
        )


def dbt_run(settings, workdir: Path) -> dict[str, float]:
    """`dbt seed` + `dbt run` (models only: tests are dbt's own benchmark); each model's time."""
    env = {
        **os.environ,
        "OLLIVE_CLICKHOUSE_HOST": settings.clickhouse.host,
        "OLLIVE_CLICKHOUSE_PORT": str(settings.clickhouse.port),
        "OLLIVE_CLICKHOUSE_USER": settings.clickhouse.user,
        "OLLIVE_CLICKHOUSE_PASSWORD": settings.clickhouse.password.get_secret_value(),
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    models: dict[str, float] = {}
    for command in ("seed", "run"):
        done = subprocess.run(
            [str(DBT), command, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT)],
            env=env, capture_output=True, text=True, cwd=PROJECT,
        )  # fmt: skip
        if done.returncode != 0:
            sys.exit(f"dbt {command} failed:\n{done.stdout[-5000:]}")
        results = json.loads((workdir / "target" / "run_results.json").read_text())["results"]
        models |= {
            r["unique_id"].split(".")[-1]: r["execution_time"]
            for r in results
            if r["unique_id"].startswith("model.")
        }
    return models


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
