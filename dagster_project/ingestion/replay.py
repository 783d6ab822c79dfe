"""Replay: reload every raw object of a date range through the same exactly-once path.

Idempotent by construction: objects in the manifest are skipped, and with `ignore_manifest`
each INSERT still carries its object key as deduplication token, so a replay over loaded data
inserts nothing. To rebuild staging from scratch, drop the staging table (its deduplication
log goes with it) and the manifest rows of the range, then replay.
"""

from collections.abc import Iterator
from datetime import date, timedelta

import dagster as dg
from pydantic import Field

from dagster_project.ingestion.assets import LOAD_RETRY, staging_asset_key, summarize
from dagster_project.ingestion.load import load_objects
from dagster_project.ingestion.settings import LoaderSettings
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive.contract.events import LOG_TYPES
from ollive.contract.object_keys import SUFFIX, day_prefix


class ReplayConfig(dg.Config):
    """The range to replay, by arrival day (the `dt=` of the object keys)."""

    start_date: str = Field(description="First arrival day, YYYY-MM-DD.")
    end_date: str = Field(description="Last arrival day, YYYY-MM-DD (inclusive).")
    log_types: list[str] = Field(default_factory=lambda: list(LOG_TYPES), description="Log types.")
    ignore_manifest: bool = Field(
        False, description="Re-send loaded objects too (the dedup token still blocks copies)."
    )


def days(start: str, end: str) -> list[str]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"end_date {end} is before start_date {start}")
    return [(first + timedelta(d)).isoformat() for d in range((last - first).days + 1)]


@dg.op(out={}, retry_policy=LOAD_RETRY, tags={"ollive/stage": "replay"})
def replay_raw_objects(
    context: dg.OpExecutionContext,
    config: ReplayConfig,
    clickhouse: ClickHouseResource,
    object_store: ObjectStoreResource,
    loader: LoaderSettings,
) -> Iterator[dg.AssetMaterialization]:
    """Reloads the range day by day, reporting each (day, log type) as a staging materialization."""
    unknown = set(config.log_types) - set(LOG_TYPES)
    if unknown:
        raise dg.Failure(f"unknown log types {sorted(unknown)}")
    plan = [(d, lt) for d in days(config.start_date, config.end_date) for lt in config.log_types]
    s3 = object_store.client()
    for step, (day, log_type) in enumerate(plan, 1):
        objects = [
            (k, s)
            for k, s in object_store.list_keys(day_prefix(log_type, day), s3)
            if k.endswith(SUFFIX)
        ]

        def progress(
            done: int, total: int, elapsed: float, label: str = f"{day} {log_type}"
        ) -> None:
            if done == total or done % max(1, total // 10) == 0:
                context.log.info(f"{label}: {done}/{total} objects, {elapsed:.1f}s")

        outcomes = load_objects(
            clickhouse,
            object_store,
            objects,
            context.run.run_id,
            parallelism=loader.load_parallelism,
            ttl_days=loader.staging_ttl_days,
            skip_recorded=not config.ignore_manifest,
            progress=progress,
        )
        metadata = summarize(outcomes)
        context.log.info(
            f"[{step}/{len(plan)}] {day} {log_type}: {len(objects)} objects, "
            f"{metadata['objects_loaded']} loaded, {metadata['objects_skipped']} already loaded, "
            f"{metadata['objects_quarantined']} quarantined"
        )
        yield dg.AssetMaterialization(
            staging_asset_key(log_type),
            description=f"replay of {day}",
            metadata={"replayed_day": day, "objects_listed": len(objects), **metadata},
        )


@dg.job(tags={"ollive/stage": "replay"}, executor_def=dg.in_process_executor)
def replay_raw_objects_job() -> None:
    """Reloads a date range of raw objects into staging (idempotent)."""
    replay_raw_objects()
