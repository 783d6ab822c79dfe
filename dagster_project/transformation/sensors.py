"""Starts dbt builds whenever loads have landed: the rollup path first, the rest after it.

Two builds follow a load. The hot build (`dbt_build_hot`) selects only the models of the hot op
(`assets.py`: the rollups and what they read) downstream of the staging tables loaded since the
last request, so a load of inference events builds `stg_inferences`, `fct_inferences` and the
inference rollups, not the tool and application marts, nor traces or anomalies. When a hot build
has finished, the rest build (`dbt_build_rest`) selects the models of the rest op downstream of
what it built (traces, conversations, sessions, anomalies); it has its own pool, so it runs
beside the next hot build and never delays one, and lags the rollups by a build.

A build that starts after a load (or a hot build) sees its rows, so while a build of a job is
already waiting to start a newer load needs nothing more from that job: at most one build per
job waits. Until every dbt model has been built once, each request is a whole build
(`dbt_build`, both ops): a first build that was killed or failed would otherwise leave models
(the price seed, a fact) that no later, narrower build ever creates, and every build after it
fails on them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from dagster_project.ingestion.assets import staging_keys
from dagster_project.ingestion.polling import POLL_SECONDS, polls

WAITING = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
]
FINISHED = [
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
]
# finished hot builds looked at per tick: more than can finish between two ticks
HOT_RUNS_PER_TICK = 50


def latest_load_ids(instance: dg.DagsterInstance) -> dict[str, int]:
    """Storage id of the newest materialization of each staging asset (absent if none)."""
    ids = {}
    for key in staging_keys:
        records = instance.fetch_materializations(key, limit=1).records
        if records:
            ids[key.to_user_string()] = records[0].storage_id
    return ids


def _seen(cursor: str | None) -> tuple[dict[str, int], int]:
    """(the newest load id per staging table requested, the newest hot build followed)."""
    if not cursor:
        return {}, 0
    value = json.loads(cursor)
    if isinstance(value, int):  # the cursor before per-table tracking: one id for all tables
        return {key.to_user_string(): value for key in staging_keys}, 0
    if "loads" not in value:  # the cursor before the hot/rest split: loads only
        return value, 0
    return value["loads"], value["hot_run"]


def _cursor(loads: dict[str, int], hot_run: int) -> str:
    return json.dumps({"loads": loads, "hot_run": hot_run})


def shared_staging_views(graph: Any) -> set[dg.AssetKey]:
    """Models that read several staging tables directly (`stg_event_loads`, the union of every
    table's loads). Each model reading it filters it to its own log types (the dbt macros
    `loaded_event_ctes`, `touched_bucket_ctes`) and also reads its own table's path, so a load of
    one table changes nothing for the models of the others: selection does not walk through it.
    """
    staging = set(staging_keys)
    return {
        key
        for key in graph.get_all_asset_keys()
        if len(set(graph.get(key).parent_keys) & staging) > 1
    }


def downstream_of(
    repository: dg.RepositoryDefinition | None,
    job: UnresolvedAssetJobDefinition,
    keys: Iterable[dg.AssetKey],
) -> list[dg.AssetKey] | None:
    """The job's assets downstream of `keys`, not through a shared staging view; None (the
    whole job) without a repository."""
    if repository is None:
        return None
    graph = repository.asset_graph
    in_job = job.selection.resolve(graph)
    shared = shared_staging_views(graph)
    found: set[dg.AssetKey] = set()
    todo = [key for key in keys if key not in shared]
    while todo:
        for child in graph.get(todo.pop()).child_keys:
            if child not in found:
                found.add(child)
                if child not in shared:  # selected itself, its children are not
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


def _waiting(instance: dg.DagsterInstance, job: UnresolvedAssetJobDefinition) -> bool:
    return bool(instance.get_runs_count(dg.RunsFilter(job_name=job.name, statuses=WAITING)))


def _request(
    repository: dg.RepositoryDefinition | None,
    job: UnresolvedAssetJobDefinition,
    run_key: str,
    selection: list[dg.AssetKey] | None,
) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=run_key,
        job_name=job.name,
        asset_selection=selection,
        asset_check_keys=checks_of(repository, job, selection),
    )


def _finished_hot_builds(
    instance: dg.DagsterInstance, hot: UnresolvedAssetJobDefinition, after: int
) -> list[dg.RunRecord]:
    """Hot builds that finished (whatever the outcome) and were created after `after`."""
    records = instance.get_run_records(
        dg.RunsFilter(job_name=hot.name, statuses=FINISHED), limit=HOT_RUNS_PER_TICK
    )
    return [record for record in records if record.storage_id > after]


def _built_by(
    records: list[dg.RunRecord],
    repository: dg.RepositoryDefinition | None,
    hot: UnresolvedAssetJobDefinition,
) -> set[dg.AssetKey]:
    """The assets the runs selected (all of the hot job's for a run that selected no subset)."""
    built: set[dg.AssetKey] = set()
    for record in records:
        chosen = record.dagster_run.asset_selection
        if chosen is None and repository is not None:
            chosen = hot.selection.resolve(repository.asset_graph)
        built |= set(chosen or ())
    return built


def _evaluate(
    context: dg.SensorEvaluationContext,
    whole: UnresolvedAssetJobDefinition,
    hot: UnresolvedAssetJobDefinition,
    rest: UnresolvedAssetJobDefinition,
    seen: dict[str, int],
    hot_run: int,
) -> tuple[list[dg.RunRequest], list[str], dict[str, int], int]:
    """One look at the loads and hot builds: (requests, why nothing, new cursor parts)."""
    instance, repository = context.instance, context.repository_def
    latest = latest_load_ids(instance)
    changed = [
        k
        for k in staging_keys
        if latest.get(k.to_user_string(), 0) > seen.get(k.to_user_string(), 0)
    ]
    requests: list[dg.RunRequest] = []
    skipped: list[str] = []
    if changed:
        # everything until every model exists: a model downstream of one table may read
        # another table's model, which must exist before a partial build can select around it
        whole_needed = not seen or has_unbuilt_assets(instance, repository, whole)
        job = whole if whole_needed else hot
        if _waiting(instance, job):
            # that build has not started: it will read these rows too; look again next tick
            skipped.append(f"a {job.name} run is already waiting")
        else:
            selection = None if whole_needed else downstream_of(repository, hot, changed)
            loads = "-".join(str(latest.get(k.to_user_string(), 0)) for k in staging_keys)
            prefix = "loads-up-to-" if whole_needed else "hot-loads-up-to-"
            requests.append(_request(repository, job, prefix + loads, selection))
            seen = {**seen, **latest}
    finished = _finished_hot_builds(instance, hot, hot_run)
    if finished and _waiting(instance, rest):
        skipped.append(f"a {rest.name} run is already waiting")
    elif finished:
        hot_run = max(record.storage_id for record in finished)
        selection = downstream_of(repository, rest, _built_by(finished, repository, hot))
        if selection or repository is None:
            run_key = f"rest-after-hot-run-{hot_run}"
            requests.append(_request(repository, rest, run_key, selection))
    return requests, skipped, seen, hot_run


def build_dbt_after_loads_sensor(
    whole: UnresolvedAssetJobDefinition,
    hot: UnresolvedAssetJobDefinition,
    rest: UnresolvedAssetJobDefinition,
    poll_seconds: float = POLL_SECONDS,
) -> dg.SensorDefinition:
    """The sensor; an evaluation with nothing to request looks again every half second for up
    to `poll_seconds` before it gives up the tick (`ingestion/polling.py`)."""

    # 1, not 5: the daemon's 5 s loop bounds it anyway, and at 5 the loop's jitter skipped about
    # every other evaluation (7.7 s between them on average; see `raw_objects_sensor`)
    @dg.sensor(
        jobs=[whole, hot, rest],
        name="dbt_after_loads",
        minimum_interval_seconds=1,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Requests a dbt build of the rollup path downstream of new staging loads, and one of"
            " the other models after each such build."
        ),
    )
    def dbt_after_loads(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        seen, hot_run = _seen(context.cursor)
        # each look is a few indexed reads of the event log (`ingestion/polling.py`)
        for _ in polls(poll_seconds):
            requests, skipped, seen, hot_run = _evaluate(context, whole, hot, rest, seen, hot_run)
            if requests:
                break
        if not requests:
            reason = "; ".join(skipped) or "no loads or hot builds since the last request"
            return dg.SensorResult(skip_reason=reason, cursor=_cursor(seen, hot_run))
        return dg.SensorResult(run_requests=requests, cursor=_cursor(seen, hot_run))

    return dbt_after_loads
