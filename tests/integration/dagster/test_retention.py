"""Retention on the real engine: the staging TTL converges on existing tables and expires rows,
and the marts are created with (and brought to) the TTL of their table class."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from dagster_project.clickhouse import migrate
from ollive_contract.events import LOG_TYPES
from ollive_contract.settings import PipelineSettings
from ollive_contract.tables import staging_table
from tests.fixtures.clickhouse import ClickHouseServer, start_clickhouse_server
from tests.fixtures.dbt_cli import run_dbt
from tests.fixtures.staging_rows import insert_loaded_ago

TABLE = staging_table("application")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    """A private server: these tests change the staging tables' TTL."""
    ch = start_clickhouse_server(tmp_path_factory.mktemp("retention-clickhouse") / "data")
    yield ch
    ch.stop()


def _count(client, key: str) -> int:
    return int(client.command(f"SELECT count() FROM {TABLE} WHERE _object_key = '{key}'"))


def test_staging_ttl_reaches_existing_tables_and_expires_rows(server: ClickHouseServer) -> None:
    client = server.client()
    for statement in migrate.schema_statements(None):  # tables as an older release made them
        client.command(statement)
    assert "TTL" not in client.command(f"SHOW CREATE TABLE {TABLE}")
    insert_loaded_ago(client, "old", timedelta(days=40), n=5)
    insert_loaded_ago(client, "new", timedelta(days=1), n=3)
    assert (_count(client, "old"), _count(client, "new")) == (5, 3)

    changed = migrate.apply_ttl(client, 30)
    assert len(changed) == len(LOG_TYPES)  # every staging table, nothing else
    for log_type in LOG_TYPES:
        ddl = client.command(f"SHOW CREATE TABLE {staging_table(log_type)}")
        assert "TTL toDateTime(_loaded_at) + toIntervalDay(30)" in ddl, ddl
    assert migrate.apply_ttl(client, 30) == []  # converged: a restart rewrites nothing

    client.command(f"OPTIMIZE TABLE {TABLE} FINAL")
    assert (_count(client, "old"), _count(client, "new")) == (0, 3)

    removed = migrate.apply_ttl(client, 0)  # 0 keeps rows: the TTL goes
    assert sorted(removed) == sorted(
        f"ALTER TABLE {t} REMOVE TTL" for t in map(staging_table, LOG_TYPES)
    )
    assert "TTL" not in client.command(f"SHOW CREATE TABLE {TABLE}")
    insert_loaded_ago(client, "kept", timedelta(days=400), n=2)
    client.command(f"OPTIMIZE TABLE {TABLE} FINAL")
    assert _count(client, "kept") == 2


def _dbt(server: ClickHouseServer, tmp_path: Path, **env: str) -> None:
    run_dbt(
        server, tmp_path, "run", "--select", "+fct_application_logs", "+agg_application_5m", env=env
    )


def test_marts_get_their_class_ttl(server: ClickHouseServer, tmp_path: Path) -> None:
    client = server.client()
    for statement in migrate.schema_statements(None):
        client.command(statement)
    defaults = PipelineSettings.model_fields
    fact_days = defaults["fact_ttl_days"].default
    rollup_days = defaults["rollup_ttl_days"].default

    _dbt(server, tmp_path)  # the defaults, which dbt_project.yml repeats
    fact = client.command("SHOW CREATE TABLE ollive.fct_application_logs")
    rollup = client.command("SHOW CREATE TABLE ollive.agg_application_5m")
    assert f"TTL toDateTime(loaded_at) + toIntervalDay({fact_days})" in fact, fact
    assert f"TTL toDateTime(last_loaded_at) + toIntervalDay({rollup_days})" in rollup, rollup

    # configured per class: the hook brings the existing tables to the new values
    _dbt(server, tmp_path, OLLIVE_PIPELINE_FACT_TTL_DAYS="7", OLLIVE_PIPELINE_ROLLUP_TTL_DAYS="0")
    fact = client.command("SHOW CREATE TABLE ollive.fct_application_logs")
    rollup = client.command("SHOW CREATE TABLE ollive.agg_application_5m")
    assert "TTL toDateTime(loaded_at) + toIntervalDay(7)" in fact, fact
    assert "TTL" not in rollup, rollup
