"""Raw object lifecycle on the real SeaweedFS: a day's raw objects go only once the lake
verifiably holds their rows; the compaction schedule asks for yesterday."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.ingestion.replay import replay_raw_objects_job
from dagster_project.lake.compaction import build_lake_assets
from dagster_project.maintenance.schedules import (
    build_compaction_job,
    build_compaction_schedule,
    build_lifecycle_job,
)
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive.synthetic_events import put_corrupt_object, put_raw_object, raw_lines
from ollive_contract.object_keys import day_prefix
from tests.fixtures.pipeline import Pipeline

LOG_TYPE = "application"
# days no other test writes: the manifest is shared by every test's bucket
VERIFIED, LATE = "2024-02-28", "2024-02-29"


def _at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _replay(pipeline: Pipeline, start: str, end: str) -> None:
    config = {"start_date": start, "end_date": end, "log_types": [LOG_TYPE]}
    assert replay_raw_objects_job.execute_in_process(
        run_config={"ops": {"replay_raw_objects": {"config": config}}},
        resources=pipeline.resources,
    ).success


def _keys(pipeline: Pipeline, day: str) -> set[str]:
    return {k for k, _ in pipeline.store.list_keys(day_prefix(LOG_TYPE, day))}


def test_raw_objects_go_once_their_day_is_compacted_and_verified(pipeline: Pipeline) -> None:
    s3, bucket = pipeline.s3(), pipeline.store.bucket
    loaded = [
        put_raw_object(
            s3, bucket, LOG_TYPE, raw_lines(LOG_TYPE, 50, _at(VERIFIED, h)), _at(VERIFIED, h)
        )
        for h in (3, 9)
    ]
    bad = put_corrupt_object(s3, bucket, LOG_TYPE, _at(VERIFIED, 10))
    put_raw_object(s3, bucket, LOG_TYPE, raw_lines(LOG_TYPE, 20, _at(LATE, 1)), _at(LATE, 1))
    recent = put_raw_object(s3, bucket, LOG_TYPE, raw_lines(LOG_TYPE, 5, datetime.now(UTC)))
    _replay(pipeline, VERIFIED, LATE)

    _, lake_assets = build_lake_assets("2024-01-01")
    job = build_compaction_job(lake_assets)
    defs = dg.Definitions(assets=lake_assets, jobs=[job], resources=pipeline.resources)
    compact = defs.resolve_job_def("compact_lake")
    for day in (VERIFIED, LATE):
        assert compact.execute_in_process(
            partition_key=day,
            asset_selection=[a.key for a in lake_assets if a.key.path[-1] == LOG_TYPE],
        ).success
    # an object of LATE arrives after its compaction: the lake no longer holds the whole day
    put_raw_object(
        s3, bucket, LOG_TYPE, raw_lines(LOG_TYPE, 7, _at(LATE, 5), start=900), _at(LATE, 5)
    )
    _replay(pipeline, LATE, LATE)
    late_keys = _keys(pipeline, LATE)

    result = build_lifecycle_job(30).execute_in_process(
        run_config={"ops": {"expire_raw_objects": {"config": {"log_types": [LOG_TYPE]}}}},
        resources=pipeline.resources,
    )
    assert result.success
    outcome = result.output_for_node("expire_raw_objects")
    assert outcome == {"deleted": 2, "unverified": [f"{LOG_TYPE} {LATE}"]}
    assert _keys(pipeline, VERIFIED) == {bad}  # the quarantined object stays for its owner
    assert not set(loaded) & _keys(pipeline, VERIFIED)
    assert _keys(pipeline, LATE) == late_keys and len(late_keys) == 2
    assert recent in {k for k, _ in pipeline.store.list_keys("raw/")}  # within retention

    # retention 0 keeps everything, verified or not
    assert build_lifecycle_job(0).execute_in_process(resources=pipeline.resources).output_for_node(
        "expire_raw_objects"
    ) == {"deleted": 0, "unverified": []}


def test_the_compaction_schedule_asks_for_the_day_that_ended() -> None:
    _, lake_assets = build_lake_assets("2024-01-01")
    schedule = build_compaction_schedule(build_compaction_job(lake_assets))
    # resources the definitions must name; the schedule's evaluation connects to nothing
    unused = {
        "object_store": ObjectStoreResource(
            endpoint="http://127.0.0.1:9", access_key="a", secret_key="s", bucket="b"
        ),
        "clickhouse": ClickHouseResource(),
        "duckdb": DuckDBResource(database=":memory:"),
    }
    defs = dg.Definitions(assets=lake_assets, schedules=[schedule], resources=unused)
    context = dg.build_schedule_context(
        repository_def=defs.get_repository_def(),
        scheduled_execution_time=datetime(2026, 3, 1, 0, 30, tzinfo=UTC),
    )
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-02-28"
    assert schedule.cron_schedule == "30 0 * * *"
