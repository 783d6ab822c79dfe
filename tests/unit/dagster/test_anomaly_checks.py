"""The anomaly checks: one warning per metric family on `anomalies_5m`, run by their own
schedule, never as a step of loads or dbt builds."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import yaml

from dagster_project.checks.anomalies import METRIC_FAMILIES
from dagster_project.definitions import defs

SCORES_YML = (
    Path(__file__).resolve().parents[3] / "dbt_project/models/marts/anomalies/anomaly_scores_5m.yml"
)


def _scored_metrics() -> set[str]:
    """The metrics anomaly_scores_5m may hold (its accepted_values test on `metric`)."""
    [model] = yaml.safe_load(SCORES_YML.read_text())["models"]
    [column] = [c for c in model["columns"] if c["name"] == "metric"]
    [accepted] = [t["accepted_values"] for t in column["data_tests"] if "accepted_values" in t]
    return set(accepted["arguments"]["values"])


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


def test_every_scored_metric_has_a_check() -> None:
    # a metric the model flags with no check would be on the dashboard and never warn
    assert set(METRIC_FAMILIES) == _scored_metrics()
