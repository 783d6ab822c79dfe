"""Real resources for Dagster tests: the session's SeaweedFS and embedded ClickHouse server.

Every test gets its own bucket, so the sensor's view of "recent objects" is the test's alone;
staging and the manifest are shared, and tests count rows by their own object keys.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from dagster_duckdb import DuckDBResource

from dagster_project.clickhouse.migrate import ensure_schema
from dagster_project.ingestion.settings import LoaderSettings
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.tables import staging_table


@dataclass
class Pipeline:
    """The resources a test runs Dagster with, plus direct clients to look at the results."""

    store: ObjectStoreResource
    clickhouse: ClickHouseResource
    loader: LoaderSettings

    @property
    def resources(self) -> dict[str, Any]:
        return {
            "object_store": self.store,
            "clickhouse": self.clickhouse,
            "loader": self.loader,
            "duckdb": DuckDBResource(database=":memory:"),
        }

    def s3(self) -> Any:
        return self.store.client()

    def ch(self) -> Any:
        return self.clickhouse.get_client()

    def staged(self, log_type: str, keys: list[str]) -> tuple[int, int]:
        """Rows and distinct event ids staging holds from `keys`."""
        rows, ids = (
            self.ch()
            .query(
                f"SELECT count(), uniqExact(event_id) FROM {staging_table(log_type)} "
                "WHERE _object_key IN {keys:Array(String)}",
                parameters={"keys": keys},
            )
            .result_rows[0]
        )
        return int(rows), int(ids)

    def manifest_statuses(self, keys: list[str]) -> dict[str, str]:
        result = self.ch().query(
            "SELECT object_key, status FROM ollive_staging.load_manifest FINAL "
            "WHERE object_key IN {keys:Array(String)}",
            parameters={"keys": keys},
        )
        return dict(result.result_rows)


@pytest.fixture(scope="session")
def clickhouse_resource(clickhouse_server) -> ClickHouseResource:
    resource = ClickHouseResource(
        host=clickhouse_server.host,
        port=clickhouse_server.port,
        username=clickhouse_server.user,
        password=clickhouse_server.password,
    )
    ensure_schema(resource.get_client())
    return resource


@pytest.fixture
def pipeline(s3_store, clickhouse_resource) -> Pipeline:
    bucket = f"t-{uuid.uuid4().hex[:12]}"
    s3_store.client().create_bucket(Bucket=bucket)
    store = ObjectStoreResource(
        endpoint=s3_store.endpoint,
        access_key=s3_store.creds.access_key,
        secret_key=s3_store.creds.secret_key,
        bucket=bucket,
    )
    return Pipeline(store, clickhouse_resource, LoaderSettings(load_parallelism=2))
