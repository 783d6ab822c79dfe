"""Starts a dbt build whenever loads have landed, keeping at most one build waiting.

A build that starts after a load sees its rows, so while a build is already queued a newer load
needs nothing more; while one is running, exactly one more is queued behind it. The build
selects only the dbt models downstream of the staging tables loaded since the last request
(with their tests), so a load of inference events does not rebuild the tool and application
marts. Until every model of the job has been built once, each build takes the whole project:
a first build that was killed or failed would otherwise leave models (the price seed, a fact)
that no later, narrower build ever creates, and every build after it fails on them.
"""

import json

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


def latest_load_ids(instance: dg.DagsterInstance) -> dict[str, int]:
    """Storage id of the newest materialization of each staging asset (absent if none)."""
    ids = {}
    for key in staging_keys:
        records = instance.fetch_materializations(key, limit=1).records
        if records:
            ids[key.to_user_string()] = records[0].storage_id
    return ids


def _seen(cursor: str | None) -> dict[str, int]:
    if not cursor:
        return {}
    value = json.loads(cursor)
    if isinstance(value, int):  # the cursor before per-table tracking: one id for all tables
        return {key.to_user_string(): value for key in staging_keys}
    return value


def downstream_of(
    repository: dg.RepositoryDefinition | None,
    job: UnresolvedAssetJobDefinition,
    keys: list[dg.AssetKey],
) -> list[dg.AssetKey] | None:
    """The job's assets downstream of `keys`; None (the whole job) without a repository."""
    if repository is None:
        return None
    graph = repository.asset_graph
    in_job = job.selection.resolve(graph)
    found: set[dg.AssetKey] = set()
    todo = list(keys)
    while todo:
        for child in graph.get(todo.pop()).child_keys:
            if child not in found:
                found.add(child)
                todo.append(child)
    return sorted(found & in_job, key=lambda k: k.to_user_string()) or None


def checks_of(
    repository: dg.RepositoryDefinition | None,
    job: UnresolvedAssetJobDefinition,
    assets: list[dg.AssetKey] | None,
) -> list[dg.AssetCheckKey] | None:
    """The job's checks on `assets` (the dbt tests), None for the whole job.

    A run request that subsets assets but names no checks gets every check on those assets in
    the whole repository, the freshness checks included, which belong to their schedule."""
    if repository is None or assets is None:
        return None
    targets = set(assets)
    in_job = job.selection.resolve_checks(repository.asset_graph)
    return sorted((k for k in in_job if k.asset_key in targets), key=lambda k: k.to_user_string())


def has_unbuilt_assets(
    instance: dg.DagsterInstance,
    repository: dg.RepositoryDefinition | None,
    job: UnresolvedAssetJobDefinition,
) -> bool:
    """Whether any asset of the job has never been materialized (True without a repository)."""
    if repository is None:
        return True
    keys = job.selection.resolve(repository.asset_graph)
    latest = instance.get_latest_materialization_events(keys)
    return any(latest.get(key) is None for key in keys)


def build_dbt_after_loads_sensor(job: UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        name="dbt_after_loads",
        minimum_interval_seconds=5,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Requests a dbt build of the models downstream of new staging loads.",
    )
    def dbt_after_loads(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        seen = _seen(context.cursor)
        latest = latest_load_ids(context.instance)
        changed = [
            k
            for k in staging_keys
            if latest.get(k.to_user_string(), 0) > seen.get(k.to_user_string(), 0)
        ]
        if not changed:
            return dg.SensorResult(skip_reason="no loads since the last build request")
        waiting = context.instance.get_runs_count(
            dg.RunsFilter(job_name=job.name, statuses=WAITING)
        )
        if waiting:
            # that build has not started: it will read these rows too; look again next tick
            return dg.SensorResult(skip_reason="a dbt build is already waiting")
        # everything until every model exists: a model downstream of one table may read another
        # table's model, which must exist before a partial build can select around it
        whole = not seen or has_unbuilt_assets(context.instance, context.repository_def, job)
        selection = None if whole else downstream_of(context.repository_def, job, changed)
        run_key = "loads-up-to-" + "-".join(
            str(latest.get(k.to_user_string(), 0)) for k in staging_keys
        )
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=run_key,
                    asset_selection=selection,
                    asset_check_keys=checks_of(context.repository_def, job, selection),
                )
            ],
            cursor=json.dumps({**seen, **latest}),
        )

    return dbt_after_loads
