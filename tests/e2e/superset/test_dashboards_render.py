"""Headless Chromium logs in and renders every dashboard on the pipeline's data: each chart tile
shows data (no error, no empty tile); screenshots go to tests/artifacts/."""

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
