"""Replay reloads nothing twice, fills in what was missing, and never runs beside a load."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster._core.op_concurrency_limits_counter import GlobalOpConcurrencyLimitsCounter

from dagster_project.ingestion.assets import (
    build_staging_asset,
    load_op_name,
    staging_asset_key,
    staging_assets,
)
from dagster_project.ingestion.jobs import load_raw_objects_job
from dagster_project.ingestion.load import load_objects
from dagster_project.ingestion.replay import replay_op_name, replay_raw_objects_job
from ollive.stack.dagster_home import write_dagster_home
from ollive.synthetic_events import put_raw_object, raw_lines
from tests.fixtures.pipeline import Pipeline

DAY = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def _replay(p: Pipeline, **config: object):
    run_config = {
        "ops": {
            "replay_raw_objects": {
                "config": {"start_date": "2025-03-13", "end_date": "2025-03-14", **config}
            }
        }
    }
    return replay_raw_objects_job.execute_in_process(run_config=run_config, resources=p.resources)


def test_replay_of_a_day_leaves_counts_unchanged(pipeline: Pipeline) -> None:
    s3, bucket = pipeline.s3(), pipeline.store.bucket
    keys = [
        put_raw_object(s3, bucket, "inference", raw_lines("inference", 50, DAY, start=i * 100), DAY)
        for i in range(4)
    ]
    first = _replay(pipeline, log_types=["inference"])
    assert first.success
    assert pipeline.staged("inference", keys) == (200, 200)
    # progress is reported per (day, log type) as staging materializations
    days = [
        m.metadata["replayed_day"].value
        for m in first.asset_materializations_for_node(replay_op_name("inference"))
    ]
    assert days == ["2025-03-13", "2025-03-14"]

    assert _replay(pipeline).success  # manifest: everything skipped
    assert _replay(pipeline, ignore_manifest=True).success  # token: nothing inserted
    assert pipeline.staged("inference", keys) == (200, 200)

    # a late object of that day appears; replay picks up exactly it
    late = put_raw_object(s3, bucket, "inference", raw_lines("inference", 7, DAY, start=999), DAY)
    assert _replay(pipeline).success
    assert pipeline.staged("inference", [*keys, late]) == (207, 207)


def test_replay_over_batched_loads_copies_nothing(pipeline: Pipeline) -> None:
    """The sensor's runs load several objects per INSERT under a batch token; a replay that
    re-sends them (`ignore_manifest`) finds their rows by `_object_key` instead of copying them."""
    s3, bucket = pipeline.s3(), pipeline.store.bucket
    keys = [
        put_raw_object(s3, bucket, "inference", raw_lines("inference", 20, DAY, start=i * 100), DAY)
        for i in range(3)
    ]
    loaded = dg.materialize(
        [build_staging_asset("inference")],
        resources=pipeline.resources,
        run_config={"ops": {load_op_name("inference"): {"config": {"object_keys": keys}}}},
    )
    assert loaded.success
    assert pipeline.staged("inference", keys) == (60, 60)
    assert _replay(pipeline, log_types=["inference"], ignore_manifest=True).success
    assert pipeline.staged("inference", keys) == (60, 60)
    # one object alone: the single-object path, whose token (its key) the batch never used
    pipeline.ch().command(
        "DELETE FROM ollive_staging.load_manifest WHERE object_key = {key:String}",
        parameters={"key": keys[0]},
    )
    single = load_objects(pipeline.clickhouse, pipeline.store, [(keys[0], 0)], "r")
    assert [(o.status, o.rows) for o in single] == [("loaded", 20)]
    assert pipeline.staged("inference", keys) == (60, 60)


def _queue(home: Path) -> dg.DagsterInstance:
    write_dagster_home(home)
    return dg.DagsterInstance.from_config(str(home))


def test_replay_and_load_of_a_log_type_never_run_at_once(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    """The run queue of `ollive up` (its dagster.yaml) holds a replay back while a load run of
    the same log type is in progress, and lets a replay of another log type through."""
    defs = dg.Definitions(
        assets=staging_assets,
        jobs=[load_raw_objects_job, replay_raw_objects_job],
        resources=pipeline.resources,
    )
    load_job = defs.resolve_job_def(load_raw_objects_job.name)
    replay_job = defs.resolve_job_def(replay_raw_objects_job.name)
    day = {"start_date": "2025-03-14", "end_date": "2025-03-14"}
    replay_config = {"ops": {"replay_raw_objects": {"config": day}}}

    with _queue(tmp_path / "dagster") as instance:

        def admitted(run: dg.DagsterRun) -> bool:
            """What the daemon's dequeue pass decides for a queued `run`, given the runs in
            progress (the same counter the `QueuedRunCoordinatorDaemon` builds)."""
            config = instance.get_concurrency_config()
            in_progress = instance.get_run_records(
                dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
            )
            counter = GlobalOpConcurrencyLimitsCounter(
                instance,
                [run],
                in_progress,
                concurrency_keys=instance.event_log_storage.get_concurrency_keys(),
                pool_limits=instance.event_log_storage.get_pool_limits(),
                pool_granularity=config.pool_config.pool_granularity,
            )
            return not counter.is_blocked(run)

        def queued(job: dg.JobDefinition, run_config: dict, **selection) -> dg.DagsterRun:
            # a QUEUED run needs a code location origin; the dequeue decision does not
            return instance.create_run_for_job(job, run_config=run_config, **selection)

        load = queued(
            load_job,
            {"ops": {load_op_name("inference"): {"config": {"object_keys": []}}}},
            asset_selection={staging_asset_key("inference")},
        )
        assert admitted(load)
        instance.delete_run(load.run_id)  # the daemon launched it: now in progress
        instance.add_run(load.with_status(dg.DagsterRunStatus.STARTED))
        replay_all = queued(replay_job, replay_config)
        assert not admitted(replay_all)  # holds the inference pool the load run holds
        replay_tools = queued(
            replay_job,
            replay_config,
            op_selection=["replay_raw_objects", replay_op_name("tool_execution")],
        )
        assert admitted(replay_tools)
