"""The dbt tests that read whole models (tag `full_scan`): on a schedule, not after every load.

A test over a whole model costs what history costs (a `unique` on a staging view recomputes the
dedupe over all of staging), so the builds after loads leave these out and stay at the cost of
their batch; `assert_recent_events_once_in_facts` keeps the facts' one-row-per-event guarantee
after every load over the latest loads. The full tests run in `dbt_full_tests`, hourly.
"""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)
from dagster_dbt.asset_utils import (
    get_asset_check_key_for_test,
    get_manifest_and_translator_from_dbt_assets,
)

from dagster_project.transformation.assets import DBT_RUN_TAGS

FULL_SCAN_TAG = "full_scan"


def full_scan_check_keys(assets: list[dg.AssetsDefinition]) -> set[dg.AssetCheckKey]:
    """The asset checks of the dbt tests tagged `full_scan` in the manifest."""
    manifest, translator, project = get_manifest_and_translator_from_dbt_assets(assets[:1])
    keys = {
        get_asset_check_key_for_test(manifest, translator, unique_id, project)
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "test" and FULL_SCAN_TAG in node["config"].get("tags", [])
    }
    return {key for key in keys if key is not None} & {k for a in assets for k in a.check_keys}


def build_full_tests_job(assets: list[dg.AssetsDefinition]) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        "dbt_full_tests",
        selection=dg.AssetSelection.checks(*full_scan_check_keys(assets)),
        description="The dbt tests over whole models (tag full_scan), not run after loads.",
        # a dbt command like the builds: the dbt pools (it runs both dbt ops) keep it from
        # running beside one
        tags=DBT_RUN_TAGS,
        executor_def=dg.in_process_executor,
    )


def build_full_tests_schedule(job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="dbt_full_tests_schedule",
        job=job,
        # hourly, off the 5-minute marks the freshness and anomaly schedules start on
        cron_schedule="17 * * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
