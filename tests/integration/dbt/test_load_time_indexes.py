"""The load-time skip indexes on the real engine: a staging table and a fact made before the
index gain it (built for their old parts too), and a filter on the load time then reads only
the granules of recent loads, which is what keeps an incremental build's batch lookup flat as
history grows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project.clickhouse import migrate, staging_schema
from ollive_contract.tables import staging_table
from tests.fixtures.clickhouse import ClickHouseServer, start_clickhouse_server
from tests.fixtures.dbt_cli import run_dbt

TABLE = staging_table("application")
GRANULE = 8192  # MergeTree's default index_granularity
OLD_ROWS = 4 * GRANULE


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    """A private server: these tests create tables the way an older release did."""
    ch = start_clickhouse_server(tmp_path_factory.mktemp("load-index-clickhouse") / "data")
    yield ch
    ch.stop()


def _insert(client, key: str, loaded_hours_ago: int, n: int) -> None:
    client.command(
        f"INSERT INTO {TABLE} (event_id, project_id, service, started_at, received_at, "
        "pii_detected, pii_entities, schema_version, level, logger, message, _object_key, "
        "_loaded_at) SELECT generateUUIDv4(number), 'p', 's', now64(3), now64(3), false, [], 1, "
        f"'info', 'l', 'm', '{key}', now64(3) - toIntervalHour({loaded_hours_ago}) "
        f"FROM numbers({n})"
    )


def _wait_for_mutations(client, database: str, table: str) -> None:
    for _ in range(300):
        pending = client.command(
            f"SELECT count() FROM system.mutations WHERE database = '{database}' "
            f"AND table = '{table}' AND NOT is_done"
        )
        if int(pending) == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"mutations of {database}.{table} still running")


def _recent_count(client, table: str, column: str, index: str) -> int:
    """Rows loaded in the last hour, failing unless `index` prunes every older granule."""
    return int(
        client.command(
            f"SELECT count() FROM {table} WHERE {column} >= now64(3) - toIntervalHour(1) "
            f"SETTINGS force_data_skipping_indices = '{index}', max_rows_to_read = {GRANULE}"
        )
    )


def test_staging_tables_made_before_the_index_gain_it(server: ClickHouseServer) -> None:
    client = server.client()
    client.command(staging_schema.create_database())
    older = staging_schema.create_staging_table("application", ttl_days=None).replace(
        f",\n    {staging_schema.LOADED_AT_INDEX_DDL}", ""
    )
    assert "INDEX" not in older
    client.command(older)  # the table as an older release made it
    _insert(client, "old", loaded_hours_ago=48, n=OLD_ROWS)
    assert migrate.log_types_without_loaded_at_index(client) == ["application"]

    migrate.forget_schema()
    migrate.ensure_schema(client)
    _wait_for_mutations(client, "ollive_staging", TABLE.split(".")[1])
    assert migrate.log_types_without_loaded_at_index(client) == []
    _insert(client, "new", loaded_hours_ago=0, n=10)
    # the old part's granules are skipped: its index was built by the migration
    assert _recent_count(client, TABLE, "_loaded_at", staging_schema.LOADED_AT_INDEX) == 10


def test_facts_made_before_the_index_gain_it(server: ClickHouseServer, tmp_path: Path) -> None:
    client = server.client()
    migrate.forget_schema()
    migrate.ensure_schema(client)
    client.command(f"TRUNCATE TABLE {TABLE}")
    _insert(client, "base", loaded_hours_ago=24, n=OLD_ROWS)
    select = ("--select", "fct_application_logs", "stg_application_logs", "stg_event_loads")
    run_dbt(server, tmp_path, "run", *select)
    fact = "ollive.fct_application_logs"
    client.command(f"ALTER TABLE {fact} DROP INDEX loaded_at_minmax")  # as built before it

    _insert(client, "late", loaded_hours_ago=0, n=10)
    run_dbt(server, tmp_path, "run", *select)  # incremental: the post-hook adds the index
    _wait_for_mutations(client, "ollive", "fct_application_logs")
    assert _recent_count(client, fact, "loaded_at", "loaded_at_minmax") == 10
    assert int(client.command(f"SELECT count() FROM {fact}")) == OLD_ROWS + 10
