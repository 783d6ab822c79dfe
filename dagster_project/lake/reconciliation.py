"""Asset check: a day in the lake has the same events as the same day's objects in ClickHouse."""

import tempfile
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.lake.compaction import lake_asset_key, lake_object_key
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import LOG_TYPES
from ollive_contract.object_keys import day_prefix
from ollive_contract.tables import staging_table


def clickhouse_counts(clickhouse: ClickHouseResource, log_type: str, day: str) -> tuple[int, int]:
    """Rows and distinct event ids staging holds from the day's objects (by lineage column)."""
    result = clickhouse.get_client().query(
        f"SELECT count(), uniqExact(event_id) FROM {staging_table(log_type)} "
        f"WHERE startsWith(_object_key, {{p:String}})",
        parameters={"p": day_prefix(log_type, day)},
    )
    rows, ids = result.result_rows[0]
    return int(rows), int(ids)


def lake_counts(
    store: ObjectStoreResource, duckdb: DuckDBResource, log_type: str, day: str
) -> tuple[int, int]:
    with tempfile.TemporaryDirectory(prefix="ollive-recon-") as tmp:
        path = Path(tmp) / "part.parquet"
        try:
            store.client().download_file(store.bucket, lake_object_key(log_type, day), str(path))
        except Exception as exc:
            if "404" in str(exc) or "Not Found" in str(exc):
                return 0, 0
            raise
        with duckdb.get_connection() as conn:
            rows, ids = conn.execute(
                f"SELECT count(*), count(DISTINCT event_id) FROM '{path}'"
            ).fetchone()
    return int(rows), int(ids)


def build_reconciliation_check(
    log_type: str, partitions: dg.PartitionsDefinition
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=lake_asset_key(log_type),
        name="lake_matches_clickhouse",
        partitions_def=partitions,
        description="Per day: event count and distinct event ids equal in the lake and staging.",
    )
    def _reconcile(
        context: dg.AssetCheckExecutionContext,
        object_store: ObjectStoreResource,
        duckdb: DuckDBResource,
        clickhouse: ClickHouseResource,
    ) -> dg.AssetCheckResult:
        day = context.partition_key
        lake_rows, lake_ids = lake_counts(object_store, duckdb, log_type, day)
        ch_rows, ch_ids = clickhouse_counts(clickhouse, log_type, day)
        return dg.AssetCheckResult(
            passed=(lake_rows, lake_ids) == (ch_rows, ch_ids),
            metadata={
                "day": day,
                "lake_rows": lake_rows,
                "lake_distinct_event_ids": lake_ids,
                "clickhouse_rows": ch_rows,
                "clickhouse_distinct_event_ids": ch_ids,
            },
        )

    return _reconcile


def build_reconciliation_checks(
    partitions: dg.PartitionsDefinition,
) -> list[dg.AssetChecksDefinition]:
    return [build_reconciliation_check(lt, partitions) for lt in LOG_TYPES]
