"""The anomaly checks: one warning per metric family on `anomalies_5m`, run by their own
schedule, never as a step of loads or dbt builds."""

from __future__ import annotations

import dagster as dg

from dagster_project.checks.anomalies import METRIC_FAMILIES
from dagster_project.definitions import defs


def _checks(job_name: str) -> set[dg.AssetCheckKey]:
    return set(defs.resolve_job_def(job_name).asset_layer.asset_graph.asset_check_keys)


def test_one_check_per_metric_family_on_the_anomaly_model() -> None:
    expected = {
        dg.AssetCheckKey(dg.AssetKey("anomalies_5m"), f"no_open_{metric}_anomalies")
        for metric in METRIC_FAMILIES
    }
    assert expected <= set(defs.resolve_asset_graph().asset_check_keys)
    assert _checks("anomaly_checks") == expected
    assert not expected & _checks("dbt_build")
    assert not expected & _checks("load_raw_objects")


def test_the_anomaly_schedule_runs_every_five_minutes() -> None:
    schedule = defs.resolve_schedule_def("anomaly_checks_schedule")
    assert schedule.job_name == "anomaly_checks"
    assert schedule.cron_schedule == "2-59/5 * * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
