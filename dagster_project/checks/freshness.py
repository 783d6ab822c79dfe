"""Freshness: no raw object waits too long to be loaded, and rollups are rebuilt often enough.

Staging freshness is measured from the object store, not from the table: an idle producer
makes a quiet table, not a stale one; an object sitting unloaded is what staleness means.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from dagster_project.ingestion.assets import staging_asset_key
from dagster_project.ingestion.discovery import unloaded_objects
from dagster_project.ingestion.settings import LoaderSettings
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import LOG_TYPES
from ollive_contract.object_keys import ObjectKey


def build_staging_freshness_check(log_type: str, max_lag: timedelta) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=staging_asset_key(log_type),
        name="no_stale_unloaded_objects",
        description=f"The oldest raw object not yet loaded is younger than {max_lag}.",
    )
    def _check(
        object_store: ObjectStoreResource, clickhouse: ClickHouseResource, loader: LoaderSettings
    ) -> dg.AssetCheckResult:
        now = datetime.now(UTC)
        waiting = unloaded_objects(
            object_store, clickhouse.get_client(), now, loader.lookback_hours
        )[log_type]
        oldest = min((ObjectKey.parse(k).received_at for k, _ in waiting), default=now)
        lag = now - oldest
        return dg.AssetCheckResult(
            passed=lag <= max_lag,
            metadata={
                "unloaded_objects": len(waiting),
                "oldest_unloaded_age_s": lag.total_seconds(),
            },
        )

    return _check


def build_freshness_checks(
    staging_max_lag: timedelta, rollup_keys: list[dg.AssetKey], rollup_max_lag: timedelta
) -> list[dg.AssetChecksDefinition]:
    checks = [build_staging_freshness_check(lt, staging_max_lag) for lt in LOG_TYPES]
    if rollup_keys:
        checks += dg.build_last_update_freshness_checks(
            assets=rollup_keys, lower_bound_delta=rollup_max_lag
        )
    return list(checks)


def build_freshness_schedule(checks: list[dg.AssetChecksDefinition]) -> dg.ScheduleDefinition:
    job = dg.define_asset_job(
        "freshness_checks",
        selection=dg.AssetSelection.checks(*checks),
        executor_def=dg.in_process_executor,
        description="Evaluates the freshness checks of staging and rollups.",
    )
    return dg.ScheduleDefinition(
        job=job,
        cron_schedule="*/5 * * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Freshness every 5 minutes (each run is a process; keep the machine calm).",
    )
