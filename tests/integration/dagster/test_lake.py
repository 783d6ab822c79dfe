"""Compaction of a day into Parquet and its reconciliation with ClickHouse, on real data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.ingestion.replay import replay_raw_objects_job
from dagster_project.lake.compaction import build_lake_assets, lake_object_key
from dagster_project.lake.reconciliation import (
    build_reconciliation_check,
    clickhouse_counts,
    lake_counts,
)
from ollive.synthetic_events import put_corrupt_object, put_raw_object, raw_lines
from tests.fixtures.pipeline import Pipeline

DAY = "2025-06-02"
AT = datetime(2025, 6, 2, 13, 5, tzinfo=UTC)


def test_compaction_and_reconciliation(pipeline: Pipeline, tmp_path: Path) -> None:
    s3, bucket = pipeline.s3(), pipeline.store.bucket
    batches = [
        raw_lines("tool_execution", 300, AT + timedelta(hours=i), start=i * 1000) for i in range(3)
    ]
    for i, lines in enumerate(batches):
        put_raw_object(s3, bucket, "tool_execution", lines, AT + timedelta(hours=i))
    # an SDK retry: the same events again in a second object (staging keeps both copies)
    put_raw_object(s3, bucket, "tool_execution", batches[0], AT)
    put_corrupt_object(s3, bucket, "tool_execution", AT)
    assert replay_raw_objects_job.execute_in_process(
        run_config={
            "ops": {
                "replay_raw_objects": {
                    "config": {"start_date": DAY, "end_date": DAY, "log_types": ["tool_execution"]}
                }
            }
        },
        resources=pipeline.resources,
    ).success

    partitions, lake_assets = build_lake_assets("2025-01-01")
    lake = next(a for a in lake_assets if a.key.path[-1] == "tool_execution")
    check = build_reconciliation_check("tool_execution", partitions)
    result = dg.materialize([lake, check], resources=pipeline.resources, partition_key=DAY)
    assert result.success
    meta = result.asset_materializations_for_node(lake.op.name)[0].metadata
    assert meta["rows"].value == 1200 and meta["distinct_event_ids"].value == 900
    assert meta["objects"].value == 4 and meta["objects_quarantined_skipped"].value == 1
    evaluation = result.get_asset_check_evaluations()[0]
    assert evaluation.passed, evaluation.metadata

    parquet = tmp_path / "day.parquet"
    s3.download_file(bucket, lake_object_key("tool_execution", DAY), str(parquet))
    started = [r[0] for r in duckdb.sql(f"SELECT started_at FROM '{parquet}'").fetchall()]
    assert started == sorted(started) and len(started) == 1200

    # an object of that day loaded after compaction: the lake is behind, the check says so
    put_raw_object(s3, bucket, "tool_execution", raw_lines("tool_execution", 5, AT, start=5000), AT)
    assert replay_raw_objects_job.execute_in_process(
        run_config={
            "ops": {
                "replay_raw_objects": {
                    "config": {"start_date": DAY, "end_date": DAY, "log_types": ["tool_execution"]}
                }
            }
        },
        resources=pipeline.resources,
    ).success
    # staging is shared by every test; the check counts by this day's key prefix, which only
    # this test writes (2025-06-02)
    res = pipeline.resources
    lake_now = lake_counts(res["object_store"], res["duckdb"], "tool_execution", DAY)
    assert lake_now == (1200, 900)
    assert clickhouse_counts(res["clickhouse"], "tool_execution", DAY) == (1205, 905)
    # compacting the day again brings the lake level, and the check passes again
    again = dg.materialize([lake, check], resources=res, partition_key=DAY)
    assert again.get_asset_check_evaluations()[0].passed
