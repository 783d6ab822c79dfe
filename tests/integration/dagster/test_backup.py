"""ClickHouse BACKUP/RESTORE of the warehouse to the real SeaweedFS, through the Dagster job."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project.clickhouse.migrate import ensure_schema
from dagster_project.maintenance.backup import (
    backup_clickhouse_job,
    list_backups,
    restore_warehouse,
)
from dagster_project.maintenance.warehouse import drop_warehouse, fingerprint
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.tables import staging_table
from tests.fixtures.clickhouse import ClickHouseServer, start_clickhouse_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ClickHouseServer]:
    """A private server: a restore needs the warehouse dropped."""
    ch = start_clickhouse_server(tmp_path / "clickhouse")
    yield ch
    ch.stop()


def test_backup_then_restore_gives_the_same_warehouse(server: ClickHouseServer, s3_store) -> None:
    bucket = f"backup-{uuid.uuid4().hex[:10]}"
    s3_store.client().create_bucket(Bucket=bucket)
    store = ObjectStoreResource(
        endpoint=s3_store.endpoint,
        access_key=s3_store.creds.access_key,
        secret_key=s3_store.creds.secret_key,
        bucket=bucket,
    )
    clickhouse = ClickHouseResource(
        host=server.host, port=server.port, username=server.user, password=server.password
    )
    client = clickhouse.get_client()
    ensure_schema(client, 30)
    client.command(
        f"INSERT INTO {staging_table('application')} (event_id, project_id, service, started_at,"
        " received_at, pii_detected, pii_entities, schema_version, level, logger, message,"
        " _object_key) SELECT generateUUIDv4(number), 'p', 's', now64(3), now64(3), false, [], 1,"
        " 'info', 'l', toString(number), 'raw/k' FROM numbers(500)"
    )
    client.command("CREATE DATABASE ollive")
    client.command(
        "CREATE TABLE ollive.fct_things (id UInt32, v String, loaded_at DateTime) "
        "ENGINE = MergeTree ORDER BY id"
    )
    client.command(
        "INSERT INTO ollive.fct_things SELECT number, toString(number), now() FROM numbers(300)"
    )
    facts = fingerprint(client)
    staged = client.command(
        f"SELECT count(), sum(cityHash64(message)) FROM {staging_table('application')}"
    )

    result = backup_clickhouse_job.execute_in_process(
        run_config={"ops": {"backup_clickhouse": {"config": {"name": "nightly-1"}}}},
        resources={"clickhouse": clickhouse, "object_store": store},
    )
    assert result.success
    assert result.output_for_node("backup_clickhouse") == "nightly-1"
    assert list_backups(store) == ["nightly-1"]
    assert any(
        k.startswith("backups/clickhouse/nightly-1/") for k, _ in store.list_keys("backups/")
    )

    with pytest.raises(RuntimeError, match="empty warehouse"):
        restore_warehouse(client, store, "nightly-1")  # never over live tables
    drop_warehouse(client)
    assert restore_warehouse(client, store, "nightly-1") == "RESTORED"
    assert fingerprint(client) == facts and facts["fct_things"][0] == 300
    assert (
        client.command(
            f"SELECT count(), sum(cityHash64(message)) FROM {staging_table('application')}"
        )
        == staged
    )
    ddl = client.command(f"SHOW CREATE TABLE {staging_table('application')}")
    assert "TTL toDateTime(_loaded_at) + toIntervalDay(30)" in ddl  # the tables as they were
