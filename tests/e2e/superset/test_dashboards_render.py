"""Headless Chromium logs in and renders every dashboard on the pipeline's data: each chart tile
shows data (no error, no empty tile), and the drill-down tiles show one conversation or one
trace (the required-first filters' default applied); screenshots go to tests/artifacts/."""

from __future__ import annotations

import yaml

from superset_config.bundle import BUNDLE_DIR
from tests.fixtures.superset import ARTIFACTS, CHARTS_WITHOUT_DEMO_DATA


def test_every_dashboard_renders_every_chart_with_data(superset, superset_data) -> None:
    dashboards = {
        (d := yaml.safe_load(p.read_text()))["slug"]: d
        for p in (BUNDLE_DIR / "dashboards").glob("*.yaml")
    }
    rendered = superset.render(sorted(dashboards), ARTIFACTS)
    for slug, dashboard in dashboards.items():
        want = sorted(
            v["meta"]["sliceName"]
            for v in dashboard["position"].values()
            if isinstance(v, dict) and v.get("type") == "CHART"
        )
        tiles = rendered[slug]["charts"]
        assert sorted(t["name"] for t in tiles) == want, slug
        bad = [
            t
            for t in tiles
            if t["state"] != "data"
            and not (t["state"] == "empty" and t["name"] in CHARTS_WITHOUT_DEMO_DATA)
        ]
        assert not bad, f"{slug}: {bad} (screenshot {rendered[slug]['screenshot']})"

    # the drill-downs are narrowed by their filter's first item before they query
    turns = column_values(rendered["conversations"], "Conversation turns", "Trace")
    owners = superset_data.command(
        "select uniqExact(conversation_id) from ollive.fct_traces where has(%(t)s, trace_id)",
        parameters={"t": sorted(turns)},
    )
    assert turns and int(owners) == 1, turns
    spans = column_values(rendered["traces"], "Trace spans", "Trace")
    assert len(spans) == 1, spans


def column_values(dashboard: dict, chart: str, header: str) -> set[str]:
    """The values of a rendered table tile's column."""
    (tile,) = [t for t in dashboard["charts"] if t["name"] == chart]
    table = tile["table"]
    column = table["headers"].index(header)
    return {row[column] for row in table["rows"]}
