"""Quarantined and stuck objects reach the warehouse, where the Privacy dashboard reads them.

A real load run quarantines a corrupt object; the stuck check finds an object older than the
lookback and records it. The SQL of the bundle's `objects_not_loaded` and `load_health`
datasets, run as Superset runs it (wrapped as a virtual table, by the read-only user), lists
both with their state, reason and arrival, and counts them per log type; an object dismissed
(moved out of `raw/`) drops out once the quarantine check has seen it gone; after a fix and a
re-drive, the others drop out too.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import yaml

from dagster_project.checks.stuck_objects import build_quarantine_check, build_stuck_objects_check
from dagster_project.ingestion.assets import build_staging_asset, load_op_name
from dagster_project.ingestion.redrive import redrive_raw_objects_job
from dagster_project.ingestion.settings import LoaderSettings
from ollive.synthetic_events import put_corrupt_object, put_raw_object, raw_lines
from ollive_contract.events import LOG_TYPES
from superset_config.bundle import BUNDLE_DIR
from tests.fixtures.pipeline import Pipeline

LOG_TYPE = "application"
DATASETS = BUNDLE_DIR / "datasets" / "Ollive_ClickHouse"


def dataset_rows(client: Any, name: str) -> list[dict[str, Any]]:
    """The dataset's rows, queried as Superset queries a virtual dataset."""
    sql = yaml.safe_load((DATASETS / f"{name}.yaml").read_text())["sql"]
    result = client.query(f"SELECT * FROM (\n{sql}\n) AS virtual_table")
    return [
        {k: utc(v) for k, v in zip(result.column_names, row, strict=True)}
        for row in result.result_rows
    ]


def utc(value: Any) -> Any:
    """clickhouse-connect gives UTC times without their zone."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def test_quarantined_and_stuck_objects_show_in_the_datasets_until_redriven(
    pipeline: Pipeline, clickhouse_server
) -> None:
    pipeline.loader = LoaderSettings(lookback_hours=1, load_parallelism=2)
    s3, bucket = pipeline.s3(), pipeline.store.bucket
    now = datetime.now(UTC)
    bad = put_corrupt_object(s3, bucket, LOG_TYPE)
    unwanted = put_corrupt_object(s3, bucket, LOG_TYPE, gzip_ok=True)  # to be dismissed
    good = put_raw_object(s3, bucket, LOG_TYPE, raw_lines(LOG_TYPE, 3, now), now)
    old_at = now - timedelta(hours=3)
    old = put_raw_object(s3, bucket, LOG_TYPE, raw_lines(LOG_TYPE, 2, old_at), old_at)

    loaded = dg.materialize(
        [build_staging_asset(LOG_TYPE)],
        resources=pipeline.resources,
        run_config={
            "ops": {load_op_name(LOG_TYPE): {"config": {"object_keys": [bad, unwanted, good]}}}
        },
    )
    assert loaded.success
    assert pipeline.manifest_statuses([bad, unwanted, good]) == {
        bad: "quarantined",
        unwanted: "quarantined",
        good: "loaded",
    }
    stuck_check = build_stuck_objects_check(LOG_TYPE, horizon_hours=6)
    evaluated = dg.materialize(
        [build_staging_asset(LOG_TYPE), stuck_check],
        resources=pipeline.resources,
        selection=dg.AssetSelection.checks(stuck_check),
    )
    assert not evaluated.get_asset_check_evaluations()[0].passed

    readonly = clickhouse_server.client(readonly=True)  # Superset's user
    rows = {r["object_key"]: r for r in dataset_rows(readonly, "objects_not_loaded")}
    assert good not in rows
    quarantined, stuck = rows[bad], rows[old]
    assert (quarantined["state"], quarantined["log_type"]) == ("quarantined", LOG_TYPE)
    assert (
        quarantined["error_code"] > 0
        and quarantined["reason"]
        and "Code:" not in quarantined["reason"]
    )
    assert abs((quarantined["arrived_at"] - now).total_seconds()) < 60
    assert (stuck["state"], stuck["log_type"], stuck["error_code"]) == ("stuck", LOG_TYPE, 0)
    assert "redrive_raw_objects_job" in stuck["reason"]
    assert abs((stuck["arrived_at"] - old_at).total_seconds()) < 1
    assert stuck["hours_not_loaded"] >= 2.9
    assert {quarantined["project_id"], stuck["project_id"]} == {""}  # no project's filter shows it

    # the per-log-type tile counts what the list holds (other tests' objects share the tables)
    health_sql = yaml.safe_load((DATASETS / "load_health.yaml").read_text())["sql"]
    assert all(f"'raw/{lt}/v1/dt=" in health_sql for lt in LOG_TYPES)  # a key range per type
    health = {r["log_type"]: r for r in dataset_rows(readonly, "load_health")}[LOG_TYPE]
    mine = [r for r in rows.values() if r["log_type"] == LOG_TYPE]
    assert health["objects_quarantined"] == sum(r["state"] == "quarantined" for r in mine) >= 1
    assert health["objects_stuck"] == sum(r["state"] == "stuck" for r in mine) >= 1
    assert health["objects_loaded_24h"] >= 1 and health["last_loaded_at"] is not None
    assert health["oldest_not_loaded_arrived_at"] <= stuck["arrived_at"]

    # dismissed, moved out of raw/: the quarantine check records it and the list drops it
    assert unwanted in rows
    s3.copy_object(Bucket=bucket, Key=f"dismissed/{unwanted}", CopySource=f"{bucket}/{unwanted}")
    s3.delete_object(Bucket=bucket, Key=unwanted)
    quarantine_check = build_quarantine_check(LOG_TYPE)
    checked = dg.materialize(
        [build_staging_asset(LOG_TYPE), quarantine_check],
        resources=pipeline.resources,
        selection=dg.AssetSelection.checks(quarantine_check),
    )
    (alarm,) = checked.get_asset_check_evaluations()
    assert bad in alarm.metadata["object_keys"].value
    assert unwanted not in alarm.metadata["object_keys"].value
    assert pipeline.manifest_statuses([unwanted]) == {unwanted: "dismissed"}
    rows = {r["object_key"]: r for r in dataset_rows(readonly, "objects_not_loaded")}
    assert unwanted not in rows and bad in rows

    # the fix, then a re-drive of both kinds: both load and leave the list
    s3.put_object(Bucket=bucket, Key=bad, Body=gzip.compress(b"".join(raw_lines(LOG_TYPE, 4, now))))
    redriven = redrive_raw_objects_job.execute_in_process(
        run_config={
            "ops": {
                "redrive_selection": {
                    "config": {"object_keys": [bad, old], "quarantined": False, "stuck": False}
                }
            }
        },
        resources=pipeline.resources,
    )
    assert redriven.success
    assert pipeline.manifest_statuses([bad, old]) == {bad: "loaded", old: "loaded"}
    left = {r["object_key"] for r in dataset_rows(readonly, "objects_not_loaded")}
    assert not {bad, old} & left
