"""The sensor that turns new raw objects into load runs.

Each tick re-lists the last `lookback_hours` hour prefixes of every log type and diffs them
against the load manifest. Objects already requested but not yet loaded are remembered in the
cursor (as short hashes) so a slow run is not requested again every tick. They are requested
again as soon as no load run of their log type is queued or running any more (their run failed,
or was killed and then failed by run monitoring), and in any case after `rerequest_after_s` (a
run that hangs). Duplicate requests are harmless anyway: the manifest and the insert
deduplication token make loads exactly-once.

While a load run of a log type is still waiting to start, no new run is requested for that log
type: the run queue admits one load run per log type at a time (batched INSERTs rely on it), and
each run costs a process start (20-60 s on a busy 2-core machine), so a run per tick would pile
up faster than they drain. The objects wait until it starts and go into the next run together.

An evaluation that requests nothing keeps looking for `poll_seconds` (`polling.py`): every half
second it lists the objects named in the last minute (one short listing per log type) and asks
whether a blocking run has started; only when a new object of a log type not blocked appeared, or
that run started, does it list and diff again (a full look reads hours of keys and the manifest:
not every half second while a busy log type waits). An object is requested about half a second
after it is stored, not at the next 5 s tick.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from dagster_project.clickhouse.cluster import configured_cluster
from dagster_project.clickhouse.migrate import ensure_schema
from dagster_project.ingestion.assets import load_op_name, staging_asset_key
from dagster_project.ingestion.discovery import recent_keys, unloaded_objects
from dagster_project.ingestion.jobs import LOG_TYPE_TAG, load_raw_objects_job
from dagster_project.ingestion.polling import polls
from dagster_project.ingestion.settings import LoaderSettings
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource


def _short(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


def batch_run_request(
    log_type: str, batch: list[tuple[str, int]], asked_before: int = 0
) -> dg.RunRequest:
    """One load run for `batch`; its run key is derived from the object keys it carries and,
    for a request made again, from when they were last requested (`asked_before`, epoch s).

    Dagster skips a run request whose run key an earlier run of the sensor already used, so
    the same batch asked again after its run failed needs a key of its own, or it is dropped
    and its objects stay unloaded; a tick evaluated twice (a daemon crash before the cursor
    was saved) still gives the same key, since the cursor it reads is the same."""
    keys = [k for k, _ in batch]
    digest = hashlib.blake2b("\n".join(keys).encode(), digest_size=16).hexdigest()
    again = f":{asked_before}" if asked_before else ""
    return dg.RunRequest(
        run_key=f"{log_type}:{len(keys)}:{digest}{again}",
        asset_selection=[staging_asset_key(log_type)],
        # no checks: the staging freshness check lists the store; its schedule runs it
        asset_check_keys=[],
        run_config={
            "ops": {
                load_op_name(log_type): {
                    "config": {"object_keys": keys, "object_sizes": [s for _, s in batch]}
                }
            }
        },
        tags={LOG_TYPE_TAG: log_type, "ollive/objects": str(len(keys))},
    )


WAITING = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
]


ACTIVE = [*WAITING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def load_runs_by_log_type(
    instance: dg.DagsterInstance,
) -> dict[str, set[dg.DagsterRunStatus]]:
    """The statuses of each log type's load runs that are waiting or running, in one query."""
    runs = instance.get_runs(
        dg.RunsFilter(job_name=load_raw_objects_job.name, statuses=ACTIVE), limit=100
    )
    found: dict[str, set[dg.DagsterRunStatus]] = {}
    for run in runs:
        if LOG_TYPE_TAG in run.tags:
            found.setdefault(run.tags[LOG_TYPE_TAG], set()).add(run.status)
    return found


def waiting_in(runs_of: dict[str, set[dg.DagsterRunStatus]]) -> set[str]:
    """Log types with a load run requested but not yet started."""
    return {log_type for log_type, statuses in runs_of.items() if statuses & set(WAITING)}


def log_types_waiting(instance: dg.DagsterInstance) -> set[str]:
    """`waiting_in` of the instance's load runs."""
    return waiting_in(load_runs_by_log_type(instance))


def _instance(context: dg.SensorEvaluationContext) -> dg.DagsterInstance | None:
    """The sensor's instance; None for a context built without one (tests of the listing
    alone), which has no runs to wait for or to look at."""
    try:
        return context.instance
    except dg.DagsterInvariantViolationError:
        return None


_S3_CLIENTS: dict[tuple[str, ...], Any] = {}


def _s3_client(store: ObjectStoreResource) -> Any:
    """One boto3 client per store for the code server's life: making one loads botocore's
    service model again, 0.06-0.4 s of every evaluation before its first look. boto3 clients
    are thread-safe."""
    ident = (store.endpoint, store.access_key, store.secret_key, store.region)
    if ident not in _S3_CLIENTS:
        _S3_CLIENTS[ident] = store.client()
    return _S3_CLIENTS[ident]


def _unblocked(instance: dg.DagsterInstance | None, blocked: set[str]) -> bool:
    """Whether a log type whose objects waited behind a run not yet started no longer has one."""
    return bool(blocked and instance and not blocked <= log_types_waiting(instance))


@dataclass
class Plan:
    """What one full look asks for, and what it leaves for a later look."""

    runs: list[dg.RunRequest] = field(default_factory=list)
    pending: dict[str, int] = field(default_factory=dict)  # cursor: short key -> when asked
    waiting: int = 0  # objects left for a later look
    blocked: set[str] = field(default_factory=set)  # log types with objects behind a waiting run


def plan_runs(
    unloaded: dict[str, list[tuple[str, int]]],
    requested: dict[str, int],
    runs_of: dict[str, set[dg.DagsterRunStatus]] | None,
    loader: LoaderSettings,
    now_s: int,
) -> Plan:
    """The load runs for `unloaded`, given the objects already requested (`requested`, from the
    cursor) and each log type's waiting or running load runs (None: no instance to look at)."""
    plan = Plan()
    # a log type with a run not yet started; without an instance, none (nothing to look at)
    blocked = waiting_in(runs_of) if runs_of is not None else set()
    # a log type with a run that may still load what it was asked; without an instance, all
    active = set(runs_of) if runs_of is not None else set(unloaded)
    for log_type, objects in unloaded.items():
        fresh: list[tuple[str, int]] = []
        for key, size in objects:
            short = _short(key)
            asked = requested.get(short)
            # requested, and a run of its log type may still load it
            if (
                asked is not None
                and log_type in active
                and now_s - asked < loader.rerequest_after_s
            ):
                plan.pending[short] = asked  # its run is queued or running
            else:
                fresh.append((key, size))
        if log_type in blocked:
            plan.waiting += len(fresh)  # a run of this log type has not started yet
            if fresh:
                plan.blocked.add(log_type)
            continue
        for i in range(0, len(fresh), loader.max_objects_per_run):
            batch = fresh[i : i + loader.max_objects_per_run]
            if len(plan.runs) >= loader.max_runs_per_tick:
                plan.waiting += len(batch)
                continue
            asked_before = max(requested.get(_short(k), 0) for k, _ in batch)
            plan.runs.append(batch_run_request(log_type, batch, asked_before))
            plan.pending.update((_short(k), now_s) for k, _ in batch)
    return plan


# The daemon's loop starts an evaluation at most every 5 s whatever this says; at 5, the loop's
# own jitter made every other evaluation or so fall just short of it and wait a loop more (7.5 s
# between evaluations on average instead of 5, measured in the freshness bench's daemon log).
@dg.sensor(
    job=load_raw_objects_job,
    minimum_interval_seconds=1,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests load runs for raw objects not yet in the load manifest.",
)
def raw_objects_sensor(
    context: dg.SensorEvaluationContext,
    object_store: ObjectStoreResource,
    clickhouse: ClickHouseResource,
    loader: LoaderSettings,
) -> dg.SensorResult:
    requested: dict[str, int] = json.loads(context.cursor or "{}").get("requested", {})
    client = clickhouse.get_client()
    ensure_schema(client, loader.staging_ttl_days, configured_cluster())
    s3 = _s3_client(object_store)
    instance = _instance(context)
    seen: dict[str, set[str]] | None = None
    plan = Plan()
    # A full look lists `lookback_hours` of every log type and reads the manifest; between two,
    # a cheap one says whether another could request anything: a new object of a log type not
    # waiting behind a run, or such a run started.
    for _ in polls(loader.poll_seconds):
        keys = recent_keys(object_store, s3, datetime.now(UTC))  # before the full listing
        if seen is not None:
            new = {lt for lt, found in keys.items() if found - seen.get(lt, set())}
            if not new - plan.blocked and not _unblocked(instance, plan.blocked):
                continue
        seen = keys
        now = datetime.now(UTC)
        unloaded = unloaded_objects(object_store, client, now, loader.lookback_hours, s3)
        runs_of = load_runs_by_log_type(instance) if instance else None
        plan = plan_runs(unloaded, requested, runs_of, loader, int(now.timestamp()))
        if plan.runs:
            break

    requested_objects = sum(int(r.tags["ollive/objects"]) for r in plan.runs)
    context.log.info(
        f"{requested_objects} objects in {len(plan.runs)} runs requested, "
        f"{len(plan.pending) - requested_objects} in flight, "
        f"{plan.waiting} wait for the next tick"
    )
    # keys that reached the manifest drop out of the cursor: it stays as small as the backlog
    return dg.SensorResult(
        run_requests=plan.runs,
        cursor=json.dumps({"requested": plan.pending}),
        skip_reason=None if plan.runs else "no new raw objects",
    )
