"""Replaying a day reloads nothing twice and fills in what was missing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dagster_project.ingestion.replay import replay_raw_objects_job
from tests.dagster.conftest import Pipeline
from tests.fixtures.raw_objects import put_raw_object, raw_lines

pytestmark = pytest.mark.integration

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
        for m in first.asset_materializations_for_node("replay_raw_objects")
    ]
    assert days == ["2025-03-13", "2025-03-14"]

    assert _replay(pipeline).success  # manifest: everything skipped
    assert _replay(pipeline, ignore_manifest=True).success  # token: nothing inserted
    assert pipeline.staged("inference", keys) == (200, 200)

    # a late object of that day appears; replay picks up exactly it
    late = put_raw_object(s3, bucket, "inference", raw_lines("inference", 7, DAY, start=999), DAY)
    assert _replay(pipeline).success
    assert pipeline.staged("inference", [*keys, late]) == (207, 207)
