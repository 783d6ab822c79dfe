"""Daily compaction: one arrival day's raw NDJSON.gz objects → one Parquet file, sorted by time.

DuckDB reads local copies fetched with boto3 rather than S3 through httpfs: the httpfs
extension cannot be downloaded at run time here, its wheels are built per DuckDB patch release
(1.5.5 against our 1.5.6), and a day of raw objects fits on local disk comfortably. Objects the
loader quarantined are left out, so the lake holds what staging holds.
"""

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.ingestion.assets import raw_asset_key
from dagster_project.ingestion.manifest import MANIFEST, QUARANTINED
from dagster_project.lake.schema import json_columns
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import LOG_TYPES
from ollive_contract.object_keys import SUFFIX, day_prefix

LAKE_PREFIX = "lake"


def lake_asset_key(log_type: str) -> dg.AssetKey:
    return dg.AssetKey([LAKE_PREFIX, log_type])


def lake_object_key(log_type: str, day: str) -> str:
    """One deterministic file per day: a re-run overwrites instead of adding a copy."""
    return f"{LAKE_PREFIX}/{log_type}/dt={day}/part-0.parquet"


def quarantined_keys(clickhouse: ClickHouseResource, prefix: str) -> set[str]:
    result = clickhouse.get_client().query(
        f"SELECT object_key FROM {MANIFEST} FINAL "
        f"WHERE startsWith(object_key, {{p:String}}) AND status = {{s:String}}",
        parameters={"p": prefix, "s": QUARANTINED},
    )
    return {row[0] for row in result.result_rows}


def download(store: ObjectStoreResource, keys: list[str], into: Path) -> list[Path]:
    s3 = store.client()

    def one(pair: tuple[int, str]) -> Path:
        path = into / f"{pair[0]:06d}.ndjson.gz"
        s3.download_file(store.bucket, pair[1], str(path))
        return path

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, enumerate(keys)))


def compact_sql(log_type: str, files: list[Path], out: Path) -> str:
    columns = ", ".join(f"'{n}': '{t}'" for n, t in json_columns(log_type).items())
    listed = ", ".join(f"'{f}'" for f in files)
    return (
        f"COPY (SELECT * FROM read_json([{listed}], format = 'newline_delimited', "
        f"compression = 'gzip', columns = {{{columns}}}) ORDER BY started_at, event_id) "
        f"TO '{out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
    )


def build_lake_asset(log_type: str, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=lake_asset_key(log_type),
        deps=[raw_asset_key(log_type)],
        partitions_def=partitions,
        description=f"One Parquet file per arrival day of {log_type} events, sorted by event time.",
        group_name="lake",
        kinds={"duckdb", "parquet", "s3"},
    )
    def _compact(
        context: dg.AssetExecutionContext,
        object_store: ObjectStoreResource,
        duckdb: DuckDBResource,
        clickhouse: ClickHouseResource,
    ) -> dg.MaterializeResult:
        day = context.partition_key
        prefix = day_prefix(log_type, day)
        listed = [k for k, _ in object_store.list_keys(prefix) if k.endswith(SUFFIX)]
        skipped = quarantined_keys(clickhouse, prefix)
        keys = [k for k in listed if k not in skipped]
        target = lake_object_key(log_type, day)
        if not keys:
            object_store.client().delete_object(Bucket=object_store.bucket, Key=target)
            return dg.MaterializeResult(metadata={"rows": 0, "objects": 0, "day": day})
        with tempfile.TemporaryDirectory(prefix="ollive-lake-") as tmp:
            files = download(object_store, keys, Path(tmp))
            out = Path(tmp) / "part-0.parquet"
            with duckdb.get_connection() as conn:
                conn.execute(compact_sql(log_type, files, out))
                rows, ids = conn.execute(
                    f"SELECT count(*), count(DISTINCT event_id) FROM '{out}'"
                ).fetchone()
            object_store.client().upload_file(str(out), object_store.bucket, target)
            size = out.stat().st_size
        context.log.info(f"{day} {log_type}: {len(keys)} objects → {rows} rows in {target}")
        return dg.MaterializeResult(
            metadata={
                "day": day,
                "rows": rows,
                "distinct_event_ids": ids,
                "objects": len(keys),
                "objects_quarantined_skipped": len(listed) - len(keys),
                "parquet_bytes": size,
                "path": dg.MetadataValue.path(f"s3://{object_store.bucket}/{target}"),
            }
        )

    return _compact


def build_lake_assets(start_date: str) -> tuple[dg.PartitionsDefinition, list[dg.AssetsDefinition]]:
    # end_offset=1: today's partition exists, so an operator can compact the day so far
    partitions = dg.DailyPartitionsDefinition(start_date=start_date, end_offset=1)
    return partitions, [build_lake_asset(lt, partitions) for lt in LOG_TYPES]
