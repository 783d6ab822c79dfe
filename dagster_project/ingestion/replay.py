"""Replay: reload every raw object of a date range through the same exactly-once path.

`replay_raw_objects` checks the range and hands each requested log type its days; the op
`replay_<log_type>` loads them the way the sensor's runs do (objects of one hour prefix batched
per INSERT). It holds the same pool as that log type's staging asset (`load_pool`), so the run
queue never runs a replay and a load of the same log type at once: the loader's "already has
rows" check needs that (`ingestion/load.py`). Idempotent: objects in the manifest are skipped,
and with `ignore_manifest` the objects already in staging are found by `_object_key` and not
inserted again. To rebuild staging from scratch, drop the staging table (its deduplication log
goes with it) and the manifest rows of the range, then replay.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from typing import NamedTuple

import dagster as dg
from pydantic import Field

from dagster_project.ingestion.assets import (
    LOAD_RETRY,
    load_pool,
    staging_asset_key,
    summarize,
)
from dagster_project.ingestion.load import load_objects
from dagster_project.ingestion.settings import LoaderSettings
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import LOG_TYPES
from ollive_contract.object_keys import SUFFIX, day_prefix

REPLAY_TAGS = {"ollive/stage": "replay"}


class ReplayConfig(dg.Config):
    """The range to replay, by arrival day (the `dt=` of the object keys)."""

    start_date: str = Field(description="First arrival day, YYYY-MM-DD.")
    end_date: str = Field(description="Last arrival day, YYYY-MM-DD (inclusive).")
    log_types: list[str] = Field(default_factory=lambda: list(LOG_TYPES), description="Log types.")
    ignore_manifest: bool = Field(
        False, description="Re-send loaded objects too (those already in staging are skipped)."
    )


class ReplayRange(NamedTuple):
    """What one log type's replay op loads."""

    days: list[str]
    ignore_manifest: bool


def days(start: str, end: str) -> list[str]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"end_date {end} is before start_date {start}")
    return [(first + timedelta(d)).isoformat() for d in range((last - first).days + 1)]


@dg.op(
    out={lt: dg.Out(ReplayRange, is_required=False) for lt in LOG_TYPES},
    tags=REPLAY_TAGS,
)
def replay_raw_objects(config: ReplayConfig) -> Iterator[dg.Output]:
    """Checks the range and hands each requested log type its days."""
    unknown = set(config.log_types) - set(LOG_TYPES)
    if unknown:
        raise dg.Failure(f"unknown log types {sorted(unknown)}")
    replay_days = days(config.start_date, config.end_date)
    for log_type in LOG_TYPES:
        if log_type in config.log_types:
            yield dg.Output(ReplayRange(replay_days, config.ignore_manifest), output_name=log_type)


def replay_op_name(log_type: str) -> str:
    return f"replay_{log_type}"


def build_replay_op(log_type: str) -> dg.OpDefinition:
    @dg.op(
        name=replay_op_name(log_type),
        out={},
        retry_policy=LOAD_RETRY,
        tags=REPLAY_TAGS,
        pool=load_pool(log_type),
    )
    def _replay(
        context: dg.OpExecutionContext,
        replay_range: ReplayRange,
        clickhouse: ClickHouseResource,
        object_store: ObjectStoreResource,
        loader: LoaderSettings,
    ) -> Iterator[dg.AssetMaterialization]:
        """Reloads the log type's days one by one, each reported as a staging materialization."""
        s3 = object_store.client()
        for step, day in enumerate(replay_range.days, 1):
            objects = [
                (k, s)
                for k, s in object_store.list_keys(day_prefix(log_type, day), s3)
                if k.endswith(SUFFIX)
            ]

            def progress(done: int, total: int, elapsed: float, day: str = day) -> None:
                if done == total or done % max(1, total // 10) == 0:
                    context.log.info(f"{day} {log_type}: {done}/{total} objects, {elapsed:.1f}s")

            outcomes = load_objects(
                clickhouse,
                object_store,
                objects,
                context.run.run_id,
                skip_recorded=not replay_range.ignore_manifest,
                progress=progress,
                **loader.load_options(),
            )
            metadata = summarize(outcomes)
            context.log.info(
                f"[{step}/{len(replay_range.days)}] {day} {log_type}: {len(objects)} objects, "
                f"{metadata['objects_loaded']} loaded, {metadata['objects_skipped']} skipped "
                f"(in the manifest), {metadata['objects_quarantined']} quarantined"
            )
            yield dg.AssetMaterialization(
                staging_asset_key(log_type),
                description=f"replay of {day}",
                metadata={"replayed_day": day, "objects_listed": len(objects), **metadata},
            )

    return _replay


replay_ops = {lt: build_replay_op(lt) for lt in LOG_TYPES}


@dg.job(tags=REPLAY_TAGS, executor_def=dg.in_process_executor)
def replay_raw_objects_job() -> None:
    """Reloads a date range of raw objects into staging (idempotent)."""
    ranges = replay_raw_objects()
    for log_type, op in replay_ops.items():
        op(getattr(ranges, log_type))
