"""The loader's SQL in cluster mode, rendered and checked without a cluster (none runs here):
the INSERT goes to the Distributed table in the foreground, the cleanup of a partial load
deletes from the replicated tables ON CLUSTER, and the schema the loader applies is the
cluster's. On one server every statement stays what it was."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from dagster_project.clickhouse import migrate
from dagster_project.clickhouse.cluster import configured_cluster
from dagster_project.ingestion import load
from ollive_contract.object_keys import ObjectKey
from ollive_contract.tables import staging_table

CLUSTER = "ollive_cluster"
KEY_SQL = "{key:String}"
KEYS_SQL = "{keys:Array(String)}"


class RecordingClient:
    """Stands in for a cluster we cannot reach: records statements, answers reads with `rows`."""

    url = "http://recording.invalid:8123"

    def __init__(self, rows: list[tuple[Any, ...]] | None = None) -> None:
        self.rows = rows or []
        self.commands: list[str] = []
        self.queries: list[tuple[str, dict]] = []

    def command(self, sql: str, parameters: dict | None = None) -> None:
        self.commands.append(sql)

    def query(self, sql: str, parameters: dict | None = None, settings: dict | None = None):
        self.queries.append((sql, parameters or {}))
        return SimpleNamespace(result_rows=self.rows, summary={})


class RecordingResource:
    def __init__(self, client: RecordingClient) -> None:
        self.client = client

    def get_client(self) -> RecordingClient:
        return self.client


@pytest.fixture(autouse=True)
def _fresh_schema_cache():
    migrate.forget_schema()
    yield
    migrate.forget_schema()


def test_one_server_sql_is_unchanged() -> None:
    table = staging_table("inference")
    assert load.delete_object_sql("inference", None) == (
        f"DELETE FROM {table} WHERE _object_key = {KEY_SQL}"
    )
    assert load.delete_objects_sql("inference", None) == (
        f"DELETE FROM {table} WHERE _object_key IN {KEYS_SQL}"
    )
    assert load.insert_settings(None) == {
        "insert_deduplicate": 1,
        "date_time_input_format": "best_effort",
        "input_format_skip_unknown_fields": 1,
        "input_format_null_as_default": 1,
    }
    assert load.insert_sql("inference").startswith(f"INSERT INTO {table} (")


def test_cluster_cleanup_deletes_from_the_replicated_tables_on_the_cluster() -> None:
    for log_type in ("inference", "score"):
        local = f"{staging_table(log_type)}_local ON CLUSTER {CLUSTER}"
        assert load.delete_object_sql(log_type, CLUSTER) == (
            f"DELETE FROM {local} WHERE _object_key = {KEY_SQL}"
        )
        assert load.delete_objects_sql(log_type, CLUSTER) == (
            f"DELETE FROM {local} WHERE _object_key IN {KEYS_SQL}"
        )


def test_cluster_inserts_go_to_the_distributed_table_in_the_foreground() -> None:
    settings = load.insert_settings(CLUSTER)
    assert settings == {**load.INSERT_SETTINGS, "distributed_foreground_insert": 1}
    assert "distributed_foreground_insert" not in load.INSERT_SETTINGS
    # the Distributed table keeps the plain name; the loader never writes `_local` directly
    assert "_local" not in load.insert_sql("tool_execution")


def test_a_partial_load_on_a_cluster_is_removed_with_the_cluster_delete() -> None:
    key = str(ObjectKey.new("inference", datetime(2026, 11, 30, 4, tzinfo=UTC)))
    # a replica that lags the one written may read no rows: the cluster deletes regardless
    lagging = RecordingClient(rows=[])
    load._remove_partial(lagging, "inference", key, CLUSTER)
    assert lagging.commands == [load.delete_object_sql("inference", CLUSTER)]
    assert lagging.queries == []
    # one server: deletes only what it reads back, with the single-server statement
    written = RecordingClient(rows=[(key, 3)])
    load._remove_partial(written, "inference", key, None)
    assert written.commands == [load.delete_object_sql("inference", None)]
    nothing_written = RecordingClient(rows=[])
    load._remove_partial(nothing_written, "inference", key, None)
    assert nothing_written.commands == []


def test_the_loader_applies_the_configured_clusters_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OLLIVE_PIPELINE_CLICKHOUSE_CLUSTER", CLUSTER)
    assert configured_cluster() == CLUSTER
    client = RecordingClient()
    assert load.load_objects(RecordingResource(client), None, [], "run") == []
    assert client.commands == migrate.schema_statements(None, CLUSTER)
    # the TTL it converges is read from the replicated tables
    (_, asked), *_ = (q for q in client.queries if "system.tables" in q[0])
    assert asked["names"] and all(name.endswith("_local") for name in asked["names"])


def test_the_loader_on_one_server_applies_the_single_server_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OLLIVE_PIPELINE_CLICKHOUSE_CLUSTER", raising=False)
    assert configured_cluster() is None
    client = RecordingClient()
    load.load_objects(RecordingResource(client), None, [], "run", ttl_days=30)
    assert client.commands == migrate.schema_statements(30)
    assert not any("CLUSTER" in c for c in client.commands)
