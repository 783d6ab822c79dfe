"""The dbt project as Dagster assets; its tests become asset checks."""

from pathlib import Path

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)
from dagster_dbt import DbtCliResource, DbtProject, build_dbt_asset_selection, dbt_assets

from dagster_project.resources.build import dbt_executable
from dagster_project.transformation.translator import OlliveDbtTranslator

# dbt builds share one pool limited to 1 (dagster.yaml): two builds at once would race on the
# same incremental models, whoever launched them (sensor, UI, backfill).
DBT_POOL = "dbt"
DBT_RUN_TAGS = {"ollive/dbt": "build"}
# Unit tests check the models' SQL against fixed fixtures, not the data: new rows cannot change
# their outcome, and they were over half of each build (10 of 18 s). They run in `make test`
# (tests/integration/dbt) and on any `dbt build` by hand, as dbt recommends, not after every load.
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]
# The rollups: dbt_project.yml tags every model under models/marts/rollups so.
ROLLUP_SELECT = "tag:rollup"


def load_dbt_project(project_dir: Path, target: str | None) -> DbtProject | None:
    """The project with a parsed manifest, or None while there is no dbt project yet."""
    if not (project_dir / "dbt_project.yml").exists():
        return None
    project = DbtProject(project_dir=project_dir, target=target)
    project.prepare_if_dev()
    if _manifest_is_stale(project_dir, project.manifest_path):
        # `ollive up` runs the webserver, not `dagster dev`: parse so the code location loads
        # with every model the project has now (a stale manifest hides new models)
        DbtCliResource(
            project_dir=str(project_dir), target=target, dbt_executable=dbt_executable()
        ).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project


def _manifest_is_stale(project_dir: Path, manifest: Path) -> bool:
    """No manifest, or a project file changed since it was written."""
    if not manifest.exists():
        return True
    parsed_at = manifest.stat().st_mtime
    sources = [project_dir / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests", "snapshots"):
        sources += (project_dir / folder).rglob("*")
    return any(path.stat().st_mtime > parsed_at for path in sources if path.is_file())


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=OlliveDbtTranslator(),
        pool=DBT_POOL,
    )
    def ollive_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        """Builds and tests the dbt models (stg_ → fct_ → agg_*_5m)."""
        yield from dbt.cli(BUILD_ARGS, context=context).stream()

    return ollive_dbt


def build_dbt_job(
    assets: dg.AssetsDefinition, skipped_checks: set[dg.AssetCheckKey] = frozenset()
) -> UnresolvedAssetJobDefinition:
    """The build after loads: every model and the dbt tests but `skipped_checks` (the full
    scans, `full_tests.py`)."""
    return dg.define_asset_job(
        "dbt_build",
        # the dbt tests (the checks the dbt assets define) but not the rollups' freshness checks,
        # which the freshness schedule evaluates: here each was a step on every build's latency
        selection=dg.AssetSelection.assets(assets).without_checks()
        | dg.AssetSelection.checks(*(set(assets.check_keys) - skipped_checks)),
        description="dbt build of every model and its batch-sized tests (one at a time).",
        tags=DBT_RUN_TAGS,
        # one step: a step subprocess would only add its start-up to every build's latency
        executor_def=dg.in_process_executor,
    )


def rollup_keys(assets: dg.AssetsDefinition) -> list[dg.AssetKey]:
    """The rollups' asset keys, as dbt selects them from the manifest (`tag:rollup`)."""
    selection = build_dbt_asset_selection([assets], dbt_select=ROLLUP_SELECT)
    return sorted(selection.resolve([assets]), key=lambda key: key.to_user_string())
