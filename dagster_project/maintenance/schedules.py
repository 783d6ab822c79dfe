"""The lake's daily maintenance: compact yesterday into Parquet, then expire old raw objects."""

from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_project.maintenance.lifecycle import expire_day, expired_days, raw_days
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import LOG_TYPES

MAINTENANCE_TAGS = {"ollive/stage": "maintenance"}


def build_compaction_job(
    lake_assets: list[dg.AssetsDefinition],
) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        "compact_lake",
        selection=dg.AssetSelection.assets(*lake_assets),  # with the reconciliation checks
        description="Compacts one arrival day of every log type into Parquet and reconciles it.",
        tags=MAINTENANCE_TAGS,
    )


def build_compaction_schedule(job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """Every day at 00:30 UTC, the day that just ended (late spool uploads have had 30 min)."""

    @dg.schedule(
        job=job,
        cron_schedule="30 0 * * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Compacts yesterday's raw objects into the Parquet lake.",
    )
    def compact_yesterday(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
        return dg.RunRequest(run_key=day, partition_key=day)

    return compact_yesterday


class LifecycleConfig(dg.Config):
    """How old a raw object must be before it may go (once its day is verified)."""

    retention_days: int = Field(
        30, ge=0, description="Raw objects older than this many days go; 0 keeps them."
    )
    log_types: list[str] = Field(default_factory=lambda: list(LOG_TYPES), description="Log types.")


@dg.op(tags=MAINTENANCE_TAGS)
def expire_raw_objects(
    context: dg.OpExecutionContext,
    config: LifecycleConfig,
    object_store: ObjectStoreResource,
    clickhouse: ClickHouseResource,
    duckdb: DuckDBResource,
) -> dg.Output[dict]:
    """Deletes raw objects of days past retention whose Parquet file holds every loaded row."""
    run_day = datetime.now(UTC).date()
    deleted, unverified = 0, []
    for log_type in config.log_types:
        for day in expired_days(raw_days(object_store, log_type), config.retention_days, run_day):
            verdict = expire_day(object_store, clickhouse, duckdb, log_type, day)
            deleted += verdict.deleted
            if not verdict.verified:
                unverified.append(f"{log_type} {day}")
                context.log.warning(
                    f"kept {log_type} {day}: lake {verdict.lake_rows} rows, manifest "
                    f"{verdict.manifest_rows}, {verdict.unloaded} objects not loaded yet"
                )
            else:
                context.log.info(f"{log_type} {day}: deleted {verdict.deleted} raw objects")
    return dg.Output(
        {"deleted": deleted, "unverified": unverified},
        metadata={"objects_deleted": deleted, "days_kept_unverified": len(unverified)},
    )


def build_lifecycle_job(retention_days: int) -> dg.JobDefinition:
    @dg.job(
        name="expire_raw_objects_job",
        tags=MAINTENANCE_TAGS,
        config={"ops": {"expire_raw_objects": {"config": {"retention_days": retention_days}}}},
        description="Deletes raw objects past retention once their day is compacted and verified.",
    )
    def _lifecycle() -> None:
        expire_raw_objects()

    return _lifecycle


def build_lifecycle_schedule(job: dg.JobDefinition) -> dg.ScheduleDefinition:
    """Daily at 02:00 UTC, after the compaction of the day before had time to finish."""
    return dg.ScheduleDefinition(
        name="expire_raw_objects_daily",
        job=job,
        cron_schedule="0 2 * * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Deletes raw objects past retention whose day the lake verifiably holds.",
    )
