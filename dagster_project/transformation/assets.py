"""The dbt project as Dagster assets; its tests become asset checks."""

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)
from dagster_dbt import DbtCliResource, DbtProject, build_dbt_asset_selection, dbt_assets

from dagster_project.resources.build import dbt_executable
from dagster_project.transformation.dbt_fork import forked_dbt
from dagster_project.transformation.translator import OlliveDbtTranslator

logger = logging.getLogger(__name__)

# The dbt models are two ops, each with its own pool limited to 1 (dagster.yaml): two builds of
# one op at once would race on the same incremental models, whoever launched them (sensor, UI,
# backfill). The hot op holds the rollups and everything upstream of them (staging views, facts,
# the price seed): the rollup path a load feeds, built right after each load. The rest op holds
# every other model (traces, conversations, sessions, anomalies): they only read the hot op's
# models, so a rest build runs beside a hot build and may lag behind it.
DBT_POOL = "dbt"
DBT_REST_POOL = "dbt_rest"
HOT_OP = "ollive_dbt"
REST_OP = "ollive_dbt_rest"
# a dbt selection: the rollups and their ancestors (anything a rollup reads is hot, so a hot
# model never reads a rest model, and the rest op selects no fact or rollup)
HOT_SELECT = "+tag:rollup"
# the whole build, the hot build and the full tests: one at a time in the run queue (tag limit 1)
DBT_RUN_TAGS = {"ollive/dbt": "build"}
# niceness of a rest build's process (the run's own) and its dbt: on 2 cores a rest build beside
# a hot build slowed the hot build's dbt, whose Python compiles every node
REST_NICENESS = 10
# the queue starts a waiting hot build before other runs, a rest build after them
HOT_RUN_TAGS = {**DBT_RUN_TAGS, "dagster/priority": "1"}
REST_RUN_TAGS = {"ollive/dbt_rest": "build", "dagster/priority": "-1"}
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


def keep_parse_state(run_target: Path, project_target: Path) -> None:
    """Make this build's partial-parse state the one the next build starts from.

    dagster-dbt gives every build a target dir of its own and seeds it with the project
    target's `partial_parse.msgpack`. dbt rejects a state written for other `--target`/
    `--profile`/vars (a `dbt parse` run by hand, another target), and then parses the whole
    project again in every build: seconds of every build's start on 2 cores. The build's own
    state fits the next build; it is moved into place atomically, since a hot and a rest build
    may finish together."""
    state = run_target / "partial_parse.msgpack"
    staged = project_target / f".partial_parse.{os.getpid()}.msgpack"
    try:
        shutil.copyfile(state, staged)
        os.replace(staged, project_target / "partial_parse.msgpack")
    except OSError as error:  # only the next build's start-up is at stake, not this build
        logger.warning("partial-parse state not kept for the next build: %s", error)


def _dbt_op(
    project: DbtProject, name: str, pool: str, niceness: int, **selection: str
) -> dg.AssetsDefinition:
    """One dbt op over the models `selection` picks, building them in a fork of the run."""
    project_target = Path(project.project_dir) / project.target_path

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name=name,
        dagster_dbt_translator=OlliveDbtTranslator(),
        pool=pool,
        **selection,
    )
    def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        if niceness:
            os.nice(niceness)  # the process and its dbt yield the cores to what runs beside
        with forked_dbt():
            invocation = dbt.cli(BUILD_ARGS, context=context)
        yield from invocation.stream()
        keep_parse_state(invocation.target_path, project_target)

    return _build


def build_dbt_assets(project: DbtProject) -> list[dg.AssetsDefinition]:
    """The hot op (the rollups and their ancestors: the rollup path, stg_ → fct_ → agg_*_5m) and
    the rest op (every other model: traces, conversations, anomalies, which read the hot op's);
    the rest yields the cores to the hot builds and loads beside it."""
    return [
        _dbt_op(project, HOT_OP, DBT_POOL, 0, select=HOT_SELECT),
        _dbt_op(project, REST_OP, DBT_REST_POOL, REST_NICENESS, exclude=HOT_SELECT),
    ]


def _build_selection(
    assets: list[dg.AssetsDefinition], skipped_checks: set[dg.AssetCheckKey]
) -> dg.AssetSelection:
    """The models of `assets` and their dbt tests but `skipped_checks`.

    The dbt tests are the checks the dbt assets define; not the rollups' freshness checks, which
    the freshness schedule evaluates: in a build each was a step on every build's latency."""
    checks = {key for a in assets for key in a.check_keys} - set(skipped_checks)
    return dg.AssetSelection.assets(*assets).without_checks() | dg.AssetSelection.checks(*checks)


def build_dbt_job(
    assets: list[dg.AssetsDefinition], skipped_checks: set[dg.AssetCheckKey] = frozenset()
) -> UnresolvedAssetJobDefinition:
    """The whole build: every model and the dbt tests but `skipped_checks` (the full scans,
    `full_tests.py`). It holds both dbt pools, so it never runs beside a hot or rest build."""
    return dg.define_asset_job(
        "dbt_build",
        selection=_build_selection(assets, skipped_checks),
        description="dbt build of every model and its batch-sized tests (one at a time).",
        tags=DBT_RUN_TAGS,
        # one process: a step subprocess would only add its start-up to every build's latency
        executor_def=dg.in_process_executor,
    )


def _op_job(
    assets: list[dg.AssetsDefinition],
    op_name: str,
    skipped_checks: set[dg.AssetCheckKey],
    **job: Any,
) -> UnresolvedAssetJobDefinition:
    """A job of one dbt op's models and their batch-sized tests, in one process."""
    (op_assets,) = [a for a in assets if a.op.name == op_name]
    return dg.define_asset_job(
        selection=_build_selection([op_assets], skipped_checks),
        executor_def=dg.in_process_executor,
        **job,
    )


def build_hot_job(
    assets: list[dg.AssetsDefinition], skipped_checks: set[dg.AssetCheckKey] = frozenset()
) -> UnresolvedAssetJobDefinition:
    """The build after loads: the rollup path (the hot op's models) and its batch-sized tests."""
    return _op_job(
        assets,
        HOT_OP,
        skipped_checks,
        name="dbt_build_hot",
        description="dbt build of the rollup path after loads (one at a time, first in queue).",
        tags=HOT_RUN_TAGS,
    )


def build_rest_job(
    assets: list[dg.AssetsDefinition], skipped_checks: set[dg.AssetCheckKey] = frozenset()
) -> UnresolvedAssetJobDefinition:
    """The build after hot builds: the models reading facts and rollups, and their tests."""
    return _op_job(
        assets,
        REST_OP,
        skipped_checks,
        name="dbt_build_rest",
        description="dbt build of traces, conversations, anomalies after the rollup path.",
        tags=REST_RUN_TAGS,
    )


def rollup_keys(assets: list[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    """The rollups' asset keys, as dbt selects them from the manifest (`tag:rollup`; all in the
    hot op)."""
    hot = [a for a in assets if a.op.name == HOT_OP]
    selection = build_dbt_asset_selection(hot, dbt_select=ROLLUP_SELECT)
    return sorted(selection.resolve(hot), key=lambda key: key.to_user_string())
