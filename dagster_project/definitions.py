"""The Dagster code location: every domain's definitions and the environment's resources."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.checks.anomalies import (
    ANOMALY_MODEL,
    build_anomaly_checks,
    build_anomaly_schedule,
)
from dagster_project.checks.freshness import build_freshness_checks, build_freshness_schedule
from dagster_project.checks.stuck_objects import build_stuck_and_quarantine_checks
from dagster_project.ingestion.assets import raw_objects, staging_assets
from dagster_project.ingestion.jobs import load_raw_objects_job
from dagster_project.ingestion.redrive import redrive_raw_objects_job
from dagster_project.ingestion.replay import replay_raw_objects_job
from dagster_project.ingestion.sensors import raw_objects_sensor
from dagster_project.lake.compaction import build_lake_assets
from dagster_project.lake.reconciliation import build_reconciliation_checks
from dagster_project.maintenance.backup import backup_clickhouse_job, backup_schedule
from dagster_project.maintenance.schedules import (
    build_compaction_job,
    build_compaction_schedule,
    build_lifecycle_job,
    build_lifecycle_schedule,
)
from dagster_project.resources.build import build_resources
from dagster_project.transformation.assets import (
    build_dbt_assets,
    build_dbt_job,
    build_hot_job,
    build_rest_job,
    load_dbt_project,
    rollup_keys,
)
from dagster_project.transformation.exposures import dashboard_specs
from dagster_project.transformation.full_tests import (
    build_full_tests_job,
    build_full_tests_schedule,
    full_scan_check_keys,
)
from dagster_project.transformation.sensors import build_dbt_after_loads_sensor
from ollive_contract.settings import PipelineSettings


def build_definitions(pipeline: PipelineSettings) -> dg.Definitions:
    """Everything Dagster shows, for one environment's settings."""
    partitions, lake_assets = build_lake_assets(pipeline.lake_start_date)
    assets: list = [*raw_objects, *staging_assets, *lake_assets]
    jobs: list = [load_raw_objects_job, replay_raw_objects_job, redrive_raw_objects_job]
    compaction = build_compaction_job(lake_assets)
    lifecycle = build_lifecycle_job(pipeline.raw_retention_days)
    jobs += [compaction, lifecycle, backup_clickhouse_job]
    sensors: list = [raw_objects_sensor]
    rollups: list[dg.AssetKey] = []
    anomalies: list[dg.AssetChecksDefinition] = []
    dbt_schedules: list[dg.ScheduleDefinition] = []

    project = load_dbt_project(pipeline.dbt_project_dir, pipeline.dbt_target)
    if project is not None:
        dbt_assets = build_dbt_assets(project)
        full_scans = full_scan_check_keys(dbt_assets)
        dbt_job = build_dbt_job(dbt_assets, full_scans)
        hot_job, rest_job = (
            build_hot_job(dbt_assets, full_scans),
            build_rest_job(dbt_assets, full_scans),
        )
        full_tests_job = build_full_tests_job(dbt_assets)
        assets += dbt_assets
        assets += dashboard_specs(project)
        jobs += [dbt_job, hot_job, rest_job, full_tests_job]
        dbt_schedules.append(build_full_tests_schedule(full_tests_job))
        sensors.append(build_dbt_after_loads_sensor(dbt_job, hot_job, rest_job))
        rollups = rollup_keys(dbt_assets)
        anomalies = build_anomaly_checks(get_asset_key_for_model(dbt_assets[:1], ANOMALY_MODEL))

    freshness = build_freshness_checks(
        timedelta(minutes=pipeline.staging_max_lag_minutes),
        rollups,
        timedelta(minutes=pipeline.rollup_max_lag_minutes),
    )
    stuck = build_stuck_and_quarantine_checks()  # run with freshness, every 5 minutes
    return dg.Definitions(
        assets=assets,
        asset_checks=[*build_reconciliation_checks(partitions), *freshness, *stuck, *anomalies],
        jobs=jobs,
        sensors=sensors,
        schedules=[
            build_freshness_schedule([*freshness, *stuck]),
            *([build_anomaly_schedule(anomalies)] if anomalies else []),
            build_compaction_schedule(compaction),
            build_lifecycle_schedule(lifecycle),
            backup_schedule,
            *dbt_schedules,
        ],
        resources=build_resources(pipeline),
    )


defs = build_definitions(PipelineSettings())
