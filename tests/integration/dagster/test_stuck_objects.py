"""Nothing silently stuck: real Dagster runs over real objects in SeaweedFS and ClickHouse.

An object older than the loader's lookback that never loaded is invisible to the sensor and the
freshness check, and fails `no_objects_stuck_beyond_lookback`; a corrupt object is quarantined
by a real load run and raises `no_quarantined_objects` with its key. After a fix, the
`redrive_raw_objects_job` loads both, and both checks pass again. Each check also publishes its
count as a Prometheus gauge in a textfile, for an alert outside Dagster.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
from prometheus_client.parser import text_string_to_metric_families

from dagster_project.checks.freshness import build_staging_freshness_check
from dagster_project.checks.stuck_objects import build_quarantine_check, build_stuck_objects_check
from dagster_project.ingestion.assets import build_staging_asset, load_op_name
from dagster_project.ingestion.redrive import redrive_raw_objects_job
from dagster_project.ingestion.settings import LoaderSettings
from ollive.synthetic_events import put_corrupt_object, put_raw_object, raw_lines
from tests.fixtures.pipeline import Pipeline

LOG_TYPE = "tool_execution"


def _evaluate(p: Pipeline, check: dg.AssetChecksDefinition) -> dg.AssetCheckEvaluation:
    result = dg.materialize(
        [build_staging_asset(LOG_TYPE), check],
        resources=p.resources,
        selection=dg.AssetSelection.checks(check),
    )
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def _gauge(directory: Path, name: str) -> float:
    """The value the checks published for LOG_TYPE, read as a scraper reads the file."""
    text = (directory / f"{name}_{LOG_TYPE}.prom").read_text()
    (family,) = [f for f in text_string_to_metric_families(text) if f.name == name]
    (sample,) = family.samples
    assert sample.labels == {"log_type": LOG_TYPE}
    return sample.value


def _redrive(p: Pipeline, **config: object) -> dg.ExecuteInProcessResult:
    result = redrive_raw_objects_job.execute_in_process(
        run_config={"ops": {"redrive_selection": {"config": config}}}, resources=p.resources
    )
    assert result.success
    return result


def test_object_older_than_the_lookback_fails_the_stuck_check_until_redriven(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    pipeline.loader = LoaderSettings(
        lookback_hours=1, load_parallelism=2, metrics_dir=str(tmp_path)
    )
    now = datetime.now(UTC)
    old_at = now - timedelta(hours=3)
    old = put_raw_object(
        pipeline.s3(), pipeline.store.bucket, LOG_TYPE, raw_lines(LOG_TYPE, 5, old_at), old_at
    )

    # the gap this check closes: the freshness check lists only the lookback window
    freshness = _evaluate(pipeline, build_staging_freshness_check(LOG_TYPE, timedelta(minutes=5)))
    assert freshness.passed and freshness.metadata["unloaded_objects"].value == 0

    stuck = _evaluate(pipeline, build_stuck_objects_check(LOG_TYPE, horizon_hours=6))
    assert not stuck.passed
    assert stuck.severity == dg.AssetCheckSeverity.ERROR
    assert stuck.metadata["stuck_objects"].value == 1
    assert stuck.metadata["object_keys"].value == [old]
    assert stuck.metadata["oldest_stuck_age_s"].value >= 3 * 3600 - 60
    assert _gauge(tmp_path, "ollive_objects_stuck") == 1
    assert _gauge(tmp_path, "ollive_objects_stuck_oldest_age_seconds") >= 3 * 3600 - 60

    _redrive(pipeline, stuck=True, horizon_hours=6)
    assert pipeline.staged(LOG_TYPE, [old]) == (5, 5)
    assert pipeline.manifest_statuses([old]) == {old: "loaded"}
    assert _evaluate(pipeline, build_stuck_objects_check(LOG_TYPE, horizon_hours=6)).passed
    assert _gauge(tmp_path, "ollive_objects_stuck") == 0


def test_quarantined_object_alarms_with_its_key_and_loads_after_a_fix(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    pipeline.loader = LoaderSettings(metrics_dir=str(tmp_path))
    bucket = pipeline.store.bucket
    bad = put_corrupt_object(pipeline.s3(), bucket, LOG_TYPE)
    loaded = dg.materialize(
        [build_staging_asset(LOG_TYPE)],
        resources=pipeline.resources,
        run_config={"ops": {load_op_name(LOG_TYPE): {"config": {"object_keys": [bad]}}}},
    )
    assert loaded.success
    assert pipeline.manifest_statuses([bad]) == {bad: "quarantined"}

    check = build_quarantine_check(LOG_TYPE)
    alarm = _evaluate(pipeline, check)
    assert not alarm.passed
    assert alarm.severity == dg.AssetCheckSeverity.WARN
    assert bad in alarm.metadata["object_keys"].value
    assert alarm.metadata["reasons"].value[bad]  # ClickHouse's reason, for whoever fixes it
    assert _gauge(tmp_path, "ollive_objects_quarantined") == len(
        alarm.metadata["object_keys"].value
    )

    # re-driven before the fix: quarantined again, still alarming
    _redrive(pipeline, quarantined=True)
    assert pipeline.manifest_statuses([bad]) == {bad: "quarantined"}
    assert bad in _evaluate(pipeline, check).metadata["object_keys"].value

    # the fix: the object's producer rewrites it with conforming events, same key
    pipeline.s3().put_object(
        Bucket=bucket,
        Key=bad,
        Body=gzip.compress(b"".join(raw_lines(LOG_TYPE, 4, datetime.now(UTC)))),
    )
    _redrive(pipeline, quarantined=True)
    assert pipeline.staged(LOG_TYPE, [bad]) == (4, 4)
    assert pipeline.manifest_statuses([bad]) == {bad: "loaded"}
    cleared = _evaluate(pipeline, check)
    assert bad not in cleared.metadata["object_keys"].value
    assert (
        _gauge(tmp_path, "ollive_objects_quarantined")
        == cleared.metadata["quarantined_objects"].value
    )
