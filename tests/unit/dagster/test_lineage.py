"""The asset graph reads end to end: raw objects → staging → dbt layers → Superset dashboards."""

from __future__ import annotations

import dagster as dg

from dagster_project.definitions import defs


def _ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    todo = [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_every_dashboard_traces_back_to_the_raw_objects() -> None:
    graph = defs.resolve_asset_graph()
    dashboards = [k for k in graph.get_all_asset_keys() if k.path[0] == "superset"]
    assert {k.path[-1] for k in dashboards} >= {
        "llm_operations_dashboard",
        "tools_dashboard",
        "application_logs_dashboard",
        "privacy_dashboard",
    }
    for dashboard in dashboards:
        names = {k.path[-1] for k in _ancestors(graph, dashboard)}
        assert any(n.startswith(("agg_", "pii_")) or n.startswith("fct_") for n in names)
        assert any(n.startswith("stg_") for n in names), dashboard
        assert any("raw" in "/".join(k.path) for k in _ancestors(graph, dashboard)), dashboard
