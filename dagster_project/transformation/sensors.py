"""Starts a dbt build whenever loads have landed, keeping at most one build waiting.

A build that starts after a load sees its rows, so while a build is already queued a newer load
needs nothing more; while one is running, exactly one more is queued behind it.
"""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from dagster_project.ingestion.assets import staging_keys

WAITING = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
]


def latest_load_id(instance: dg.DagsterInstance) -> int:
    """Storage id of the newest staging materialization (0 if none)."""
    ids = [
        record.storage_id
        for key in staging_keys
        for record in instance.fetch_materializations(key, limit=1).records
    ]
    return max(ids, default=0)


def build_dbt_after_loads_sensor(job: UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        name="dbt_after_loads",
        minimum_interval_seconds=5,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Requests a dbt build after staging loads, never more than one waiting.",
    )
    def dbt_after_loads(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        seen = int(context.cursor or 0)
        latest = latest_load_id(context.instance)
        if latest <= seen:
            return dg.SensorResult(skip_reason="no loads since the last build request")
        waiting = context.instance.get_runs_count(
            dg.RunsFilter(job_name=job.name, statuses=WAITING)
        )
        if waiting:
            # that build has not started: it will read these rows too; look again next tick
            return dg.SensorResult(skip_reason="a dbt build is already waiting")
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"loads-up-to-{latest}")], cursor=str(latest)
        )

    return dbt_after_loads
