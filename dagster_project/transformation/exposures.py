"""dbt exposures (the Superset dashboards) as external assets, so lineage ends at what analysts see.

Dagster does not materialize them: Superset queries the rollups live. They only place each
dashboard downstream of the models it reads, with its URL.
"""

from __future__ import annotations

import json

import dagster as dg
from dagster_dbt import DbtProject

from dagster_project.transformation.translator import OlliveDbtTranslator


def dashboard_specs(project: DbtProject) -> list[dg.AssetSpec]:
    """One `AssetSpec` per dbt exposure of type dashboard, depending on the models it reads."""
    manifest = json.loads(project.manifest_path.read_text())
    translator = OlliveDbtTranslator()
    specs = []
    for exposure in manifest.get("exposures", {}).values():
        if exposure.get("type") != "dashboard":
            continue
        upstream = [
            translator.get_asset_key(manifest["nodes"][node])
            for node in exposure["depends_on"]["nodes"]
            if node in manifest["nodes"]
        ]
        specs.append(
            dg.AssetSpec(
                key=dg.AssetKey(["superset", exposure["name"]]),
                deps=upstream,
                description=exposure.get("description") or exposure.get("label"),
                group_name="dashboards",
                kinds={"superset"},
                metadata={"url": dg.MetadataValue.url(exposure["url"])}
                if exposure.get("url")
                else {},
            )
        )
    return specs
