"""The raw-objects sensor against real SeaweedFS and the embedded ClickHouse manifest."""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import dagster as dg

from dagster_project.ingestion.assets import build_staging_asset, load_op_name
from dagster_project.ingestion.jobs import load_raw_objects_job
from dagster_project.ingestion.sensors import raw_objects_sensor
from dagster_project.ingestion.settings import LoaderSettings
from ollive.synthetic_events import put_raw_object, raw_lines
from tests.fixtures.pipeline import Pipeline


def _tick(
    p: Pipeline,
    cursor: str | None = None,
    instance: dg.DagsterInstance | None = None,
    **loader: int,
) -> dg.SensorResult:
    # one look per tick unless a test asks for the polling
    resources = {**p.resources, "loader": LoaderSettings(**{"poll_seconds": 0, **loader})}
    with dg.build_sensor_context(resources=resources, cursor=cursor, instance=instance) as context:
        result = raw_objects_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def _requested(result: dg.SensorResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for run in result.run_requests or []:
        for op in run.run_config["ops"].values():
            out.setdefault(run.tags["ollive/log_type"], []).extend(op["config"]["object_keys"])
    return out


def _store(p: Pipeline, log_type: str, lines: int = 3) -> str:
    """A new raw object of `lines` events of `log_type`, received now; its key."""
    return put_raw_object(
        p.s3(), p.store.bucket, log_type, raw_lines(log_type, lines, datetime.now(UTC))
    )


def test_sensor_requests_new_and_late_objects_once(pipeline: Pipeline) -> None:
    s3, bucket, now = pipeline.s3(), pipeline.store.bucket, datetime.now(UTC)
    fresh = put_raw_object(s3, bucket, "inference", raw_lines("inference", 5, now))
    late = put_raw_object(  # arrived two hours ago, listed only now (a slow PUT, a spool drain)
        s3,
        bucket,
        "inference",
        raw_lines("inference", 5, now - timedelta(hours=2)),
        now - timedelta(hours=2),
    )
    too_old = put_raw_object(
        s3,
        bucket,
        "application",
        # four hours back: outside a 3-hour lookback, inside a 6-hour one even when the clock
        # passes the hour while the test runs (five hours back dropped out of it then)
        raw_lines("application", 5, now - timedelta(hours=4)),
        now - timedelta(hours=4),
    )
    tool = put_raw_object(s3, bucket, "tool_execution", raw_lines("tool_execution", 5, now))

    first = _tick(pipeline)
    requested = _requested(first)
    assert sorted(requested["inference"]) == sorted([fresh, late])
    assert requested["tool_execution"] == [tool]
    assert all(too_old not in keys for keys in requested.values())  # outside the 3-hour lookback
    assert all(r.run_key for r in first.run_requests)

    # the next tick, before the runs finished: nothing is requested twice
    second = _tick(pipeline, first.cursor)
    assert not second.run_requests

    # the runs load; a fresh sensor (cursor lost) still asks for nothing: the manifest knows
    for run in first.run_requests:
        log_type = run.tags["ollive/log_type"]
        assert dg.materialize(
            [build_staging_asset(log_type)],
            resources=pipeline.resources,
            run_config=run.run_config,
        ).success
    assert not _tick(pipeline).run_requests

    # a widened lookback finds the old one
    assert _requested(_tick(pipeline, lookback_hours=6)) == {"application": [too_old]}


def test_sensor_rerequests_objects_whose_run_never_loaded_them(pipeline: Pipeline) -> None:
    key = _store(pipeline, "inference")
    first = _tick(pipeline)
    assert _requested(first) == {"inference": [key]}
    assert not _tick(pipeline, first.cursor).run_requests
    # pretend the request is older than `rerequest_after_s`
    requested = json.loads(first.cursor)["requested"]
    stale_cursor = json.dumps({"requested": {k: t - 10_000 for k, t in requested.items()}})
    again = _tick(pipeline, stale_cursor, rerequest_after_s=60)
    assert _requested(again) == {"inference": [key]}
    # a key of its own: Dagster drops a request whose run key an earlier run already used
    assert again.run_requests[0].run_key != first.run_requests[0].run_key


def test_sensor_rerequests_at_once_when_no_run_of_the_log_type_is_left(
    pipeline: Pipeline,
) -> None:
    key = _store(pipeline, "inference")
    with dg.instance_for_test() as instance:
        first = _tick(pipeline, instance=instance)
        (request,) = first.run_requests
        # the daemon made the run; while it is queued or running, the objects are in flight
        run = instance.add_run(
            dg.DagsterRun(
                job_name=load_raw_objects_job.name,
                run_id=str(uuid.uuid4()),
                status=dg.DagsterRunStatus.STARTED,
                tags={**request.tags, "dagster/run_key": request.run_key},
            )
        )
        assert not _tick(pipeline, first.cursor, instance).run_requests
        # its process was killed, run monitoring failed it: asked again at the next tick, long
        # before `rerequest_after_s`, under a new run key
        instance.report_run_failed(run)
        again = _tick(pipeline, first.cursor, instance)
        assert _requested(again) == {"inference": [key]}
        assert again.run_requests[0].run_key != request.run_key


def test_sensor_batches_thousands_of_objects_in_one_tick(pipeline: Pipeline) -> None:
    s3, bucket, now = pipeline.s3(), pipeline.store.bucket, datetime.now(UTC)
    line = raw_lines("application", 1, now)
    with ThreadPoolExecutor(16) as pool:
        keys = list(
            pool.map(lambda _: put_raw_object(s3, bucket, "application", line, now), range(2500))
        )
    result = _tick(pipeline, max_objects_per_run=1000)
    assert len(result.run_requests) == 3
    assert sorted(_requested(result)["application"]) == sorted(keys)
    assert len({r.run_key for r in result.run_requests}) == 3
    # loads run no checks: the staging freshness check is its schedule's (it lists the store)
    assert all(r.asset_check_keys == [] for r in result.run_requests)
    op = load_op_name("application")
    assert [len(r.run_config["ops"][op]["config"]["object_keys"]) for r in result.run_requests] == [
        1000,
        1000,
        500,
    ]


def _store_later(p: Pipeline, log_type: str, after_s: float) -> tuple[threading.Timer, dict]:
    """Stores an object of `log_type` `after_s` from now; its key lands in the dict."""
    stored: dict = {}

    def store() -> None:
        stored["key"] = _store(p, log_type)

    timer = threading.Timer(after_s, store)
    timer.start()
    return timer, stored


def test_an_evaluation_requests_an_object_stored_during_it(pipeline: Pipeline) -> None:
    """An object stored while the evaluation looks is requested in that evaluation, about half
    a second later, not at the next tick; with nothing new, the evaluation gives the tick up
    after its polling time."""
    # the bucket's first write (SeaweedFS makes its volumes then) goes before the timed part
    _store(pipeline, "application", 1)
    cursor = _tick(pipeline).cursor  # requested: in flight from now on
    timer, stored = _store_later(pipeline, "inference", 0.6)
    result = _tick(pipeline, cursor, poll_seconds=3)
    timer.join()
    # stored 0.6 s into the evaluation, requested by that same evaluation: a later look found it
    assert _requested(result) == {"inference": [stored["key"]]}
    started = time.monotonic()
    assert not _tick(pipeline, result.cursor, poll_seconds=1).run_requests
    assert time.monotonic() - started > 0.45  # it looked again before giving the tick up


def test_objects_behind_a_waiting_run_are_requested_once_it_starts(pipeline: Pipeline) -> None:
    key = _store(pipeline, "inference")
    with dg.instance_for_test() as instance:
        waiting = dg.DagsterRun(  # created, not yet started (QUEUED needs a code location)
            job_name=load_raw_objects_job.name,
            run_id=str(uuid.uuid4()),
            status=dg.DagsterRunStatus.NOT_STARTED,
            tags={"ollive/log_type": "inference"},
        )
        instance.add_run(waiting)
        assert not _tick(pipeline, None, instance).run_requests  # it waits behind that run

        def start() -> None:  # the queue launched it: it runs, no longer waits
            instance.delete_run(waiting.run_id)
            instance.add_run(waiting.with_status(dg.DagsterRunStatus.STARTED))

        timer = threading.Timer(0.6, start)
        started = time.monotonic()
        timer.start()
        result = _tick(pipeline, None, instance, poll_seconds=3)
        timer.join()
        assert _requested(result) == {"inference": [key]}
        assert time.monotonic() - started > 0.5  # requested once the run started, not before
