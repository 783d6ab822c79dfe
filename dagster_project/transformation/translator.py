"""Maps dbt nodes to Dagster assets: the `staging` source tables are the loader's assets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from dagster_project.ingestion.assets import staging_asset_key
from ollive_contract.tables import STAGING_TABLES

DBT_SOURCE_NAME = "staging"
_LOG_TYPE_BY_TABLE = {table: lt for lt, table in STAGING_TABLES.items()}
# Layers set their group by folder (dbt_project.yml `+meta: {dagster: {group: ...}}`); this
# is the group of whatever sits outside them (the seed).
OTHER_GROUP = "dbt_other"


class OlliveDbtTranslator(DagsterDbtTranslator):
    """Sources → staging asset keys (one lineage graph); models grouped by their layer's folder."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if (
            dbt_resource_props["resource_type"] == "source"
            and dbt_resource_props["source_name"] == DBT_SOURCE_NAME
            and dbt_resource_props["name"] in _LOG_TYPE_BY_TABLE
        ):
            return staging_asset_key(_LOG_TYPE_BY_TABLE[dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return super().get_group_name(dbt_resource_props) or OTHER_GROUP
