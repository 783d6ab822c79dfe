"""Load and build in one run: the dbt models downstream of a load run in the same run.

An event used to cross two runs on its way to the rollups: a load run, then a `dbt_build` run
that the `dbt_after_loads` sensor requested once it saw the load, each behind a sensor tick, the
run queue and a run start. `load_and_build` selects a log type's staging asset and the dbt
models downstream of it (with their batch-sized tests, as `dbt_build` does): the raw objects
sensor requests it, and the dbt step starts as soon as the load step ends. The job claims both
pools (`ollive_load_<log_type>`, `dbt`) and carries both run tags, so it never runs beside a
build nor beside another load of its log type. `dbt_after_loads` stays for loads that did not
build (replays, loads launched by hand, a build step that failed) and for the very first build,
which takes the whole project: until every model exists, the sensor requests plain loads.
"""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from dagster_project.ingestion.assets import staging_keys
from dagster_project.ingestion.jobs import LOAD_JOB_TAGS
from dagster_project.transformation.assets import DBT_RUN_TAGS
from dagster_project.transformation.sensors import checks_of, downstream_of

LOAD_AND_BUILD_JOB = "load_and_build"


def build_load_and_build_job(
    dbt_assets: dg.AssetsDefinition, skipped_checks: set[dg.AssetCheckKey] = frozenset()
) -> UnresolvedAssetJobDefinition:
    """Staging assets, dbt models and the dbt tests but `skipped_checks` (the full scans)."""
    return dg.define_asset_job(
        LOAD_AND_BUILD_JOB,
        selection=dg.AssetSelection.assets(*staging_keys, dbt_assets).without_checks()
        | dg.AssetSelection.checks(*(set(dbt_assets.check_keys) - skipped_checks)),
        description="Loads a batch of raw objects, then builds the dbt models downstream of it.",
        tags={**LOAD_JOB_TAGS, **DBT_RUN_TAGS},
        executor_def=dg.in_process_executor,
    )


def models_downstream(
    context: dg.SensorEvaluationContext, job: UnresolvedAssetJobDefinition, staging: dg.AssetKey
) -> tuple[list[dg.AssetKey], list[dg.AssetCheckKey]] | None:
    """The dbt models (and their checks in `job`) to build after a load of `staging`; None
    while some model of the job was never materialized (the first build must take the whole
    project: `dbt_after_loads` does it)."""
    repository = context.repository_def
    if repository is None:
        return None
    models = set(job.selection.resolve(repository.asset_graph)) - set(staging_keys)
    built = context.instance.get_latest_materialization_events(models)
    if not models or any(built.get(key) is None for key in models):
        return None
    selected = downstream_of(repository, job, [staging])
    if not selected:
        return None
    return selected, checks_of(repository, job, selected) or []
