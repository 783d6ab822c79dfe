"""The staging freshness check on real objects: an old unloaded object fails it, loading it
makes it pass, and a quiet or just-written log type is not reported as stale. Every rollup,
whatever its name, has a freshness check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from dagster_project.checks.freshness import build_staging_freshness_check
from dagster_project.definitions import defs
from dagster_project.ingestion.assets import build_staging_asset, load_op_name
from ollive.synthetic_events import put_raw_object, raw_lines
from ollive_contract.settings import PipelineSettings
from tests.fixtures.pipeline import Pipeline

MAX_LAG = timedelta(minutes=5)


def _evaluate(p: Pipeline) -> dg.AssetCheckEvaluation:
    check = build_staging_freshness_check("inference", MAX_LAG)
    result = dg.materialize(
        [build_staging_asset("inference"), check],
        resources=p.resources,
        selection=dg.AssetSelection.checks(check),
    )
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_staging_freshness_follows_the_oldest_unloaded_object(pipeline: Pipeline) -> None:
    quiet = _evaluate(pipeline)  # no objects at all: quiet, not stale
    assert quiet.passed and quiet.metadata["unloaded_objects"].value == 0

    now = datetime.now(UTC)
    fresh = put_raw_object(
        pipeline.s3(), pipeline.store.bucket, "inference", raw_lines("inference", 3, now), now
    )
    young = _evaluate(pipeline)
    assert young.passed and young.metadata["unloaded_objects"].value == 1

    old_at = now - timedelta(minutes=20)
    old = put_raw_object(
        pipeline.s3(),
        pipeline.store.bucket,
        "inference",
        raw_lines("inference", 3, old_at, start=100),
        old_at,
    )
    stale = _evaluate(pipeline)
    assert not stale.passed
    assert stale.metadata["unloaded_objects"].value == 2
    assert stale.metadata["oldest_unloaded_age_s"].value >= 20 * 60 - 5

    loaded = dg.materialize(
        [build_staging_asset("inference")],
        resources=pipeline.resources,
        run_config={"ops": {load_op_name("inference"): {"config": {"object_keys": [old, fresh]}}}},
    )
    assert loaded.success
    caught_up = _evaluate(pipeline)
    assert caught_up.passed and caught_up.metadata["unloaded_objects"].value == 0


def test_every_rollup_has_a_freshness_check() -> None:
    rollups_dir = PipelineSettings().dbt_project_dir / "models" / "marts" / "rollups"
    rollups = {path.stem for path in rollups_dir.glob("*.sql")}
    checked = {
        key.asset_key.path[-1]
        for key in defs.resolve_asset_graph().asset_check_keys
        if key.name == "freshness_check"
    }
    # pii_detections_5m has no agg_ prefix: the rollups are found by folder, not by name
    assert "pii_detections_5m" in rollups
    assert checked == rollups
