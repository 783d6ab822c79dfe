"""Which checks each job runs: loads and dbt builds carry no freshness checks (they are the
freshness schedule's); a dbt build runs the batch-sized dbt tests, the full scans run hourly;
the hot and rest builds write disjoint models."""

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
    for job in ("dbt_build", "dbt_build_hot", "dbt_build_rest"):
        assert not _freshness(_checks(job))


def _dbt_op(name: str) -> dg.AssetsDefinition:
    graph = defs.resolve_asset_graph()
    # spec-only assets (the Superset dashboards) have no op: skip them
    (assets,) = [a for a in graph.assets_defs if a.computation is not None and a.op.name == name]
    return assets


def test_dbt_tests_split_between_builds_and_the_full_tests_job() -> None:
    """The builds after loads run the batch-sized dbt tests; the ones over whole models (tag
    full_scan) run in `dbt_full_tests`, on a schedule; together every dbt test runs."""
    hot, rest = _dbt_op("ollive_dbt"), _dbt_op("ollive_dbt_rest")
    dbt_tests = set(hot.check_keys) | set(rest.check_keys)
    assert len(dbt_tests) > 20
    after_loads, full = _checks("dbt_build") & dbt_tests, _checks("dbt_full_tests")
    assert after_loads | full == dbt_tests
    assert not after_loads & full
    # the hot and rest builds split the whole build's tests, each its own op's
    hot_tests, rest_tests = _checks("dbt_build_hot"), _checks("dbt_build_rest")
    assert hot_tests | rest_tests == after_loads
    assert hot_tests <= set(hot.check_keys) and rest_tests <= set(rest.check_keys)
    full_names = {k.name for k in full}
    # the full-table uniqueness tests and every test of a staging view (a dedupe of all staging)
    assert {"unique_fct_inferences_event_id", "unique_stg_inferences_event_id"} <= full_names
    assert "not_null_stg_inferences_event_id" in full_names
    assert "not_null_fct_inferences_event_id" in {k.name for k in after_loads}
    schedule = defs.resolve_schedule_def("dbt_full_tests_schedule")
    assert schedule.job_name == "dbt_full_tests"


def test_hot_op_holds_the_rollup_path_and_rest_only_reads_it() -> None:
    """The hot build writes the rollups and every model they read; the rest build writes none
    of them (so the two, each in its own pool, never write one model at once), and no hot model
    reads a rest model (so a hot build never waits for the rest)."""
    hot, rest = _dbt_op("ollive_dbt"), _dbt_op("ollive_dbt_rest")
    assert hot.op.pool != rest.op.pool
    names = {key.to_user_string() for key in hot.keys}
    assert {"stg_inferences", "fct_inferences", "agg_inference_5m", "model_prices"} <= names
    assert not {key.to_user_string() for key in rest.keys} & names
    assert {"fct_traces", "anomaly_scores_5m"} <= {k.to_user_string() for k in rest.keys}
    graph = defs.resolve_asset_graph()
    for key in hot.keys:
        assert not set(graph.get(key).parent_keys) & set(rest.keys), key
    assert {"dbt_build_hot", "dbt_build_rest"} <= {job.name for job in defs.resolve_all_job_defs()}
