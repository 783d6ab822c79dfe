"""Load and build in one run (`transformation/after_load.py`): the raw objects sensor asks for
the dbt models downstream of a load in the load's own run once every model exists, and the
`dbt_after_loads` sensor requests no second build for such loads unless their run failed."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from dagster_project.ingestion.assets import build_staging_asset, staging_asset_key
from dagster_project.ingestion.jobs import load_raw_objects_job
from dagster_project.ingestion.sensors import build_raw_objects_sensor
from dagster_project.transformation.after_load import LOAD_AND_BUILD_JOB, models_downstream
from dagster_project.transformation.sensors import build_dbt_after_loads_sensor
from ollive.synthetic_events import put_raw_object, raw_lines
from tests.fixtures.pipeline import Pipeline

INFERENCE = staging_asset_key("inference")


@dg.asset(deps=[INFERENCE])
def inference_model() -> None:
    """Stands in for the dbt models fed by inference staging."""


@dg.asset(deps=[staging_asset_key("application")])
def application_model() -> None:
    """Stands in for the dbt models fed by application staging."""


@dg.asset_check(asset=inference_model)
def inference_model_test() -> dg.AssetCheckResult:
    """Stands in for a dbt test."""
    return dg.AssetCheckResult(passed=True)


def _jobs() -> tuple[dg.UnresolvedAssetJobDefinition, dg.UnresolvedAssetJobDefinition]:
    models = dg.AssetSelection.assets(inference_model, application_model)
    staging = dg.AssetSelection.assets(INFERENCE, staging_asset_key("application"))
    load_and_build = dg.define_asset_job(
        LOAD_AND_BUILD_JOB,
        selection=(staging | models).without_checks()
        | dg.AssetSelection.checks(inference_model_test),
    )
    dbt_build = dg.define_asset_job("dbt_build", selection=models)
    return load_and_build, dbt_build


def test_loads_build_their_models_once_every_model_exists(pipeline: Pipeline) -> None:
    load_and_build, _ = _jobs()
    sensor = build_raw_objects_sensor(
        load_and_build, lambda context, key: models_downstream(context, load_and_build, key)
    )
    defs = dg.Definitions(
        assets=[
            build_staging_asset("inference"),
            build_staging_asset("application"),
            inference_model,
            application_model,
        ],
        asset_checks=[inference_model_test],
        jobs=[load_raw_objects_job, load_and_build],
        sensors=[sensor],
        resources=pipeline.resources,
    )
    s3, bucket = pipeline.s3(), pipeline.store.bucket
    put_raw_object(s3, bucket, "inference", raw_lines("inference", 3, datetime.now(UTC)))

    def tick(instance: dg.DagsterInstance) -> dg.RunRequest:
        with dg.build_sensor_context(
            instance=instance, definitions=defs, resources=pipeline.resources
        ) as context:
            result = sensor(context)
        assert isinstance(result, dg.SensorResult) and len(result.run_requests) == 1
        return result.run_requests[0]

    with dg.DagsterInstance.ephemeral() as instance:
        # a fresh stack: the first build must take the whole project (dbt_after_loads does it)
        plain = tick(instance)
        assert plain.job_name == load_raw_objects_job.name
        assert plain.asset_selection == [INFERENCE]
        for model in (inference_model, application_model):
            instance.report_runless_asset_event(dg.AssetMaterialization(model.key))
        both = tick(instance)
        assert both.job_name == LOAD_AND_BUILD_JOB
        assert both.asset_selection == [INFERENCE, inference_model.key]  # not application's
        assert both.asset_check_keys == [inference_model_test.check_key]
        assert both.run_config == plain.run_config  # the same objects to load


@dg.asset(key=INFERENCE)
def staging_stand_in() -> None:
    """Stands in for a load."""


@dg.asset(deps=[INFERENCE])
def failing_model() -> None:
    raise RuntimeError("the build step of a load-and-build run failed")


def test_dbt_after_loads_skips_loads_that_built_in_their_own_run() -> None:
    _, dbt_build = _jobs()
    sensor = build_dbt_after_loads_sensor(dbt_build, LOAD_AND_BUILD_JOB)

    def tick(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
        with dg.build_sensor_context(instance=instance, cursor=cursor) as context:
            return sensor(context)

    built = dg.materialize([staging_stand_in], selection=[INFERENCE])
    with dg.DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(INFERENCE))
        first = tick(instance, None)  # the first build: every model
        assert len(first.run_requests) == 1

        dg.Definitions(
            assets=[staging_stand_in],
            jobs=[dg.define_asset_job(LOAD_AND_BUILD_JOB, selection=[INFERENCE])],
        ).resolve_job_def(LOAD_AND_BUILD_JOB).execute_in_process(instance=instance)
        skipped = tick(instance, first.cursor)
        assert not skipped.run_requests and skipped.cursor != first.cursor

        # a load-and-build run whose build failed: its load gets a build of its own
        failed = dg.Definitions(
            assets=[staging_stand_in, failing_model],
            jobs=[dg.define_asset_job(LOAD_AND_BUILD_JOB)],
        ).resolve_job_def(LOAD_AND_BUILD_JOB)
        assert not failed.execute_in_process(instance=instance, raise_on_error=False).success
        assert len(tick(instance, skipped.cursor).run_requests) == 1

        # a load run of the plain job (a replay, a load by hand) gets a build too
        assert built.success
        dg.materialize([staging_stand_in], instance=instance)
        assert len(tick(instance, skipped.cursor).run_requests) == 1
