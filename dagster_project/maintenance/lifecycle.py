"""Raw object lifecycle: a day's `raw/` objects are deleted once they are old enough AND the
day's Parquet file holds every row they loaded.

An S3 lifecycle rule (SeaweedFS, MinIO and S3 all accept `put_bucket_lifecycle_configuration`)
expires by age and prefix only; it cannot wait for a compaction to exist and agree, so the
condition is checked here and the objects deleted by key. Verification is against the load
manifest, not staging (whose TTL may have removed the rows): the Parquet row count must equal
the rows the manifest recorded for the day's loaded objects, and every object of the day must
be in the manifest. Quarantined objects are kept (they are not in the lake; someone may need
them); an object that arrived after the compaction makes the counts differ, so nothing of that
day goes until the day is compacted again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dagster_duckdb import DuckDBResource

from dagster_project.ingestion.manifest import LOADED, MANIFEST, QUARANTINED
from dagster_project.lake.reconciliation import lake_counts
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.object_keys import RAW_PREFIX, SCHEMA_VERSION, SUFFIX, day_prefix


@dataclass(frozen=True)
class DayVerdict:
    """What the lifecycle found for one log type's arrival day, and what it deleted."""

    log_type: str
    day: str
    objects: int
    lake_rows: int
    manifest_rows: int
    unloaded: int
    deleted: int

    @property
    def verified(self) -> bool:
        return self.unloaded == 0 and self.lake_rows == self.manifest_rows and self.objects > 0


def raw_days(store: ObjectStoreResource, log_type: str, client: Any = None) -> list[str]:
    """The arrival days (`dt=`) that still have raw objects of `log_type`."""
    s3 = client or store.client()
    prefix = f"{RAW_PREFIX}/{log_type}/v{SCHEMA_VERSION}/"
    days = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=store.bucket, Prefix=prefix, Delimiter="/"
    ):
        for common in page.get("CommonPrefixes") or ():
            part = common["Prefix"][len(prefix) :].rstrip("/")
            if part.startswith("dt="):
                days.append(part[3:])
    return sorted(days)


def expired_days(days: list[str], retention_days: int, today: date) -> list[str]:
    """The days wholly older than `retention_days` (0 keeps every day)."""
    if retention_days <= 0:
        return []
    cutoff = (today - timedelta(days=retention_days)).isoformat()
    return [d for d in days if d < cutoff]


def manifest_status(clickhouse: ClickHouseResource, prefix: str) -> dict[str, tuple[str, int]]:
    """(status, rows) per object key under `prefix` from the load manifest."""
    result = clickhouse.get_client().query(
        f"SELECT object_key, status, rows_loaded FROM {MANIFEST} FINAL "
        "WHERE startsWith(object_key, {p:String})",
        parameters={"p": prefix},
    )
    return {key: (status, int(rows)) for key, status, rows in result.result_rows}


def expire_day(
    store: ObjectStoreResource,
    clickhouse: ClickHouseResource,
    duckdb: DuckDBResource,
    log_type: str,
    day: str,
) -> DayVerdict:
    """Delete the day's loaded raw objects if the lake verifiably holds their rows."""
    s3 = store.client()
    prefix = day_prefix(log_type, day)
    keys = [k for k, _ in store.list_keys(prefix, s3) if k.endswith(SUFFIX)]
    status = manifest_status(clickhouse, prefix)
    loaded = [k for k in keys if status.get(k, ("", 0))[0] == LOADED]
    unloaded = [k for k in keys if k not in status]
    manifest_rows = sum(status[k][1] for k in loaded)
    lake_rows, _ = lake_counts(store, duckdb, log_type, day)
    verdict = DayVerdict(log_type, day, len(keys), lake_rows, manifest_rows, len(unloaded), 0)
    if not verdict.verified:
        return verdict
    for i in range(0, len(loaded), 1000):  # DeleteObjects takes at most 1000 keys
        s3.delete_objects(
            Bucket=store.bucket,
            Delete={"Objects": [{"Key": k} for k in loaded[i : i + 1000]], "Quiet": True},
        )
    kept = sum(1 for k in keys if status.get(k, ("", 0))[0] == QUARANTINED)
    return DayVerdict(log_type, day, len(keys), lake_rows, manifest_rows, 0, len(keys) - kept)
