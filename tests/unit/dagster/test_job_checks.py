"""Which checks each job runs: loads and dbt builds carry no freshness checks (they are the
freshness schedule's); a dbt build runs the batch-sized dbt tests, the full scans run hourly."""

from __future__ import annotations

import dagster as dg

from dagster_project.definitions import defs


def _checks(job_name: str) -> set[dg.AssetCheckKey]:
    return set(defs.resolve_job_def(job_name).asset_layer.asset_graph.asset_check_keys)


def _freshness(keys: set[dg.AssetCheckKey]) -> set[dg.AssetCheckKey]:
    return {k for k in keys if k.name in ("freshness_check", "no_stale_unloaded_objects")}


def test_freshness_checks_run_on_their_schedule_not_in_loads_or_builds() -> None:
    scheduled = _checks("freshness_checks")
    assert {k.name for k in _freshness(scheduled)} == {
        "freshness_check",
        "no_stale_unloaded_objects",
    }
    assert not _freshness(_checks("load_raw_objects"))
    assert not _freshness(_checks("dbt_build"))


def test_dbt_tests_split_between_builds_and_the_full_tests_job() -> None:
    """The build after loads runs the batch-sized dbt tests; the ones over whole models (tag
    full_scan) run in `dbt_full_tests`, on a schedule; together every dbt test runs."""
    graph = defs.resolve_asset_graph()
    # spec-only assets (the Superset dashboards) have no op: skip them
    (dbt_assets,) = [
        a
        for a in graph.assets_defs
        if a.computation is not None and a.node_def.name == "ollive_dbt"
    ]
    dbt_tests = set(dbt_assets.check_keys)
    assert len(dbt_tests) > 20
    after_loads, full = _checks("dbt_build") & dbt_tests, _checks("dbt_full_tests")
    assert after_loads | full == dbt_tests
    assert not after_loads & full
    full_names = {k.name for k in full}
    # the full-table uniqueness tests and every test of a staging view (a dedupe of all staging)
    assert {"unique_fct_inferences_event_id", "unique_stg_inferences_event_id"} <= full_names
    assert "not_null_stg_inferences_event_id" in full_names
    assert "not_null_fct_inferences_event_id" in {k.name for k in after_loads}
    schedule = defs.resolve_schedule_def("dbt_full_tests_schedule")
    assert schedule.job_name == "dbt_full_tests"
