"""The staging tables' skip indexes on the real engine: a table made before them gains them
(built for its old parts too); a filter on the load time then reads only the granules of recent
loads (the incremental facts' batch lookup), and a lookup of events by id (`event_id IN`, the
re-read of their copies) only the granules of those events' time, through the index on the time
in their UUIDv7 ids."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from dagster_project.clickhouse import migrate, staging_schema
from ollive_contract.tables import staging_table
from tests.fixtures.clickhouse import ClickHouseServer, start_clickhouse_server
from tests.fixtures.staging_rows import insert_loaded_ago

TABLE = staging_table("application")
GRANULE = 8192  # MergeTree's default index_granularity
OLD_ROWS = 4 * GRANULE


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    """A private server: these tests create tables the way an older release did."""
    ch = start_clickhouse_server(tmp_path_factory.mktemp("load-index-clickhouse") / "data")
    yield ch
    ch.stop()


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


def _read_with_only(client, index: str, query: str) -> int:
    """The count `query` returns, failing unless skip index `index` prunes every granule but one."""
    return int(
        client.command(
            f"{query} SETTINGS force_data_skipping_indices = '{index}', "
            f"max_rows_to_read = {GRANULE}"
        )
    )


def test_staging_tables_made_before_the_indexes_gain_them(server: ClickHouseServer) -> None:
    client = server.client()
    client.command(staging_schema.create_database())
    older = staging_schema.create_staging_table("application", ttl_days=None)
    for name in staging_schema.SKIP_INDEXES:
        older = older.replace(f",\n    {staging_schema.index_ddl(name)}", "")
    assert "INDEX" not in older
    client.command(older)  # the table as an older release made it
    insert_loaded_ago(client, "old", timedelta(hours=48), n=OLD_ROWS)
    assert migrate.missing_skip_indexes(client) == [
        ("application", name) for name in staging_schema.SKIP_INDEXES
    ]

    migrate.forget_schema()
    migrate.ensure_schema(client)
    _wait_for_mutations(client, "ollive_staging", TABLE.split(".")[1])
    assert migrate.missing_skip_indexes(client) == []
    insert_loaded_ago(client, "new", timedelta(hours=0), n=10)
    # the old part's granules are skipped: its indexes were built by the migration
    recent = f"SELECT count() FROM {TABLE} WHERE _loaded_at >= now64(3) - toIntervalHour(1)"
    assert _read_with_only(client, staging_schema.LOADED_AT_INDEX, recent) == 10
    new_ids = ", ".join(
        f"'{row[0]}'"
        for row in client.query(
            f"SELECT event_id FROM {TABLE} WHERE _object_key = 'new'"
        ).result_rows
    )
    # a plain `event_id IN`, as the models write it: ClickHouse applies the index's expression
    # to the set's ids
    by_id = f"SELECT count() FROM {TABLE} WHERE event_id IN (SELECT arrayJoin([{new_ids}])::UUID)"
    assert _read_with_only(client, staging_schema.EVENT_TIME_INDEX, by_id) == 10
