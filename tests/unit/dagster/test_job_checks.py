"""Which checks each job runs: loads and dbt builds carry no freshness checks (they are the
freshness schedule's), and a dbt build still runs every dbt test as a check."""

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


def test_dbt_build_runs_every_dbt_test() -> None:
    graph = defs.resolve_asset_graph()
    # spec-only assets (the Superset dashboards) have no op: skip them
    (dbt_assets,) = [
        a
        for a in graph.assets_defs
        if a.computation is not None and a.node_def.name == "ollive_dbt"
    ]
    dbt_tests = set(dbt_assets.check_keys)
    assert len(dbt_tests) > 20
    assert _checks("dbt_build") == dbt_tests
