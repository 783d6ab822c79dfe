"""The staging tables' load-time skip index on the real engine: a table made before the index
gains it (built for its old parts too), and a filter on the load time then reads only the
granules of recent loads, which is what the incremental facts' batch lookup filters on."""

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


def _recent_count(client) -> int:
    """Rows loaded in the last hour, failing unless the index prunes every older granule."""
    return int(
        client.command(
            f"SELECT count() FROM {TABLE} WHERE _loaded_at >= now64(3) - toIntervalHour(1) "
            f"SETTINGS force_data_skipping_indices = '{staging_schema.LOADED_AT_INDEX}', "
            f"max_rows_to_read = {GRANULE}"
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
    insert_loaded_ago(client, "old", timedelta(hours=48), n=OLD_ROWS)
    assert migrate.log_types_without_loaded_at_index(client) == ["application"]

    migrate.forget_schema()
    migrate.ensure_schema(client)
    _wait_for_mutations(client, "ollive_staging", TABLE.split(".")[1])
    assert migrate.log_types_without_loaded_at_index(client) == []
    insert_loaded_ago(client, "new", timedelta(hours=0), n=10)
    # the old part's granules are skipped: its index was built by the migration
    assert _recent_count(client) == 10
