"""A killed dbt run's `<model>__dbt_new_data_<invocation id>` tables are dropped by a later run.

dbt-clickhouse names its delete+insert batch table after the invocation, so no later run drops
a killed run's one on its own; the project's on-run-start hook does, once it is older than
`orphaned_new_data_min_age_minutes` (60). On a real server: leftovers named exactly as
dbt-clickhouse names them, aged two hours, beside a young one and tables the hook must leave
alone.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.clickhouse import ClickHouseServer, start_clickhouse_server
from tests.fixtures.dbt_cli import run_dbt as dbt

MARTS = "ollive"


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[ClickHouseServer]:
    ch = start_clickhouse_server(tmp_path / "data")
    yield ch
    ch.stop()


def leftover_name(model: str) -> str:
    """The batch table dbt-clickhouse's incremental strategies name for one invocation."""
    return f"{model}__dbt_new_data_{str(uuid.uuid4()).replace('-', '_')}"


def tables(server: ClickHouseServer) -> set[str]:
    rows = server.client().query(
        "select database || '.' || name from system.tables where database in ('ollive', 'other')"
    )
    return {row[0] for row in rows.result_rows}


def backdate(server: ClickHouseServer, database: str, name: str, hours: float) -> None:
    """Age a table as `system.tables.metadata_modification_time` sees it: the mtime of its
    metadata file (read on every query), instead of waiting an hour."""
    (path,) = (server.path / "metadata" / database).glob(f"{name}.sql")
    at = time.time() - hours * 3600
    os.utime(path, (at, at))


def test_on_run_start_drops_a_killed_runs_batch_tables_once_old_enough(
    server: ClickHouseServer, tmp_path: Path
) -> None:
    client = server.client()
    for database in (MARTS, "other"):
        client.command(f"create database if not exists {database}")
    old = [leftover_name("fct_inferences"), leftover_name("agg_inference_5m")]
    young = leftover_name("fct_tool_executions")  # may be another run's, building right now
    keep = [
        young,
        "fct_inferences",  # a mart
        "fct_inferences__dbt_backup",  # dbt's fixed names: each run drops its own
        "fct_inferences__dbt_new_data",  # the legacy strategy's fixed name, same
        "notes__dbt_new_data_not_an_invocation",
    ]
    # and the same name outside the marts' database: not dbt's
    created = [(MARTS, n) for n in old + keep] + [("other", old[0])]
    for database, name in created:
        client.command(f"create table {database}.{name} (id UInt64) engine = MergeTree order by id")
        if name != young:
            backdate(server, database, name, hours=2)
    ages = dict(
        client.query(
            "select name, dateDiff('minute', metadata_modification_time, now()) "
            "from system.tables where database = 'ollive'"
        ).result_rows
    )
    assert ages[old[0]] >= 119 and ages[young] <= 5, ages  # the server sees the ages
    before = tables(server)

    out = dbt(server, tmp_path, "seed", "--select", "model_prices")
    after = tables(server)
    assert after == before - {f"{MARTS}.{n}" for n in old} | {f"{MARTS}.model_prices"}
    assert all(f"dropping {MARTS}.{n}" in out or f"dropping `{MARTS}`.`{n}`" in out for n in old)
