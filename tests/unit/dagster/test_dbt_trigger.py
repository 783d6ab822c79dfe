"""dbt follows loads: one build requested per batch of loads, none while one is still waiting."""

from __future__ import annotations

import json
from typing import Any

import dagster as dg

from dagster_project.ingestion.assets import staging_asset_key
from dagster_project.transformation.assets import load_dbt_project
from dagster_project.transformation.sensors import build_dbt_after_loads_sensor
from dagster_project.transformation.translator import OlliveDbtTranslator
from ollive_contract.settings import PipelineSettings


@dg.asset
def stand_in_model() -> None:
    """Stands in for the dbt assets: the sensor only needs the job it targets."""


def _tick(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, cursor: str | None):
    with dg.build_sensor_context(instance=instance, cursor=cursor) as context:
        return sensor(context)


def test_dbt_build_requested_after_loads_and_not_piled_up() -> None:
    job = dg.define_asset_job("dbt_build", selection=[stand_in_model])
    sensor = build_dbt_after_loads_sensor(job)
    with dg.DagsterInstance.ephemeral() as instance:
        assert not _tick(sensor, instance, None).run_requests  # nothing loaded yet

        instance.report_runless_asset_event(dg.AssetMaterialization(staging_asset_key("inference")))
        first = _tick(sensor, instance, None)
        assert len(first.run_requests) == 1
        assert not _tick(sensor, instance, first.cursor).run_requests  # nothing new

        # another load lands while a build is queued: no second request
        instance.add_run(
            dg.DagsterRun(
                job_name="dbt_build", run_id="queued-build", status=dg.DagsterRunStatus.NOT_STARTED
            )
        )
        instance.report_runless_asset_event(
            dg.AssetMaterialization(staging_asset_key("application"))
        )
        assert not _tick(sensor, instance, first.cursor).run_requests
        # once that build is no longer waiting, the new load gets its own build
        instance.delete_run("queued-build")
        assert len(_tick(sensor, instance, first.cursor).run_requests) == 1


def _dbt_model(name: str) -> dict[str, Any]:
    """The model's node in the parsed dbt manifest, as the translator receives it."""
    project = load_dbt_project(PipelineSettings().dbt_project_dir, None)
    assert project is not None
    return json.loads(project.manifest_path.read_text())["nodes"][f"model.ollive.{name}"]


def test_translator_maps_staging_sources_to_loader_assets() -> None:
    translator = OlliveDbtTranslator()
    source = {"resource_type": "source", "source_name": "staging", "name": "inference_events"}
    assert translator.get_asset_key(source) == staging_asset_key("inference")
    assert translator.get_group_name(_dbt_model("agg_inference_5m")) == "rollups"
    # the group follows the model's folder, not its name
    assert translator.get_group_name(_dbt_model("pii_detections_5m")) == "rollups"


@dg.asset(deps=[staging_asset_key("inference")])
def inference_model() -> None:
    """Stands in for the dbt models fed by inference staging."""


@dg.asset(deps=[staging_asset_key("application")])
def application_model() -> None:
    """Stands in for the dbt models fed by application staging."""


@dg.asset_check(asset=inference_model)
def inference_model_test() -> dg.AssetCheckResult:
    """Stands in for a dbt test: part of the build."""
    return dg.AssetCheckResult(passed=True)


@dg.asset_check(asset=inference_model)
def inference_model_freshness() -> dg.AssetCheckResult:
    """Stands in for a freshness check: its own schedule's, not the build's."""
    return dg.AssetCheckResult(passed=True)


def test_dbt_build_selects_only_models_downstream_of_new_loads() -> None:
    models = dg.AssetSelection.assets(inference_model, application_model)
    job = dg.define_asset_job(
        "dbt_build",
        selection=models.without_checks() | dg.AssetSelection.checks(inference_model_test),
    )
    sensor = build_dbt_after_loads_sensor(job)
    defs = dg.Definitions(
        assets=[inference_model, application_model],
        asset_checks=[inference_model_test, inference_model_freshness],
        jobs=[job],
        sensors=[sensor],
    )
    with dg.DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(staging_asset_key("inference")))
        with dg.build_sensor_context(instance=instance, definitions=defs) as context:
            first = sensor(context)
        assert first.run_requests[0].asset_selection is None  # the first build takes all
        # it was killed before building anything: the next build takes all again
        instance.report_runless_asset_event(dg.AssetMaterialization(staging_asset_key("inference")))
        with dg.build_sensor_context(
            instance=instance, definitions=defs, cursor=first.cursor
        ) as context:
            first = sensor(context)
        assert first.run_requests[0].asset_selection is None
        # that one built every model
        for model in (inference_model, application_model):
            instance.report_runless_asset_event(dg.AssetMaterialization(model.key))
        instance.report_runless_asset_event(dg.AssetMaterialization(staging_asset_key("inference")))
        with dg.build_sensor_context(
            instance=instance, definitions=defs, cursor=first.cursor
        ) as context:
            first = sensor(context)
        assert first.run_requests[0].asset_selection == [inference_model.key]
        # the build's own check on that model, not every check on it in the repository
        assert first.run_requests[0].asset_check_keys == [inference_model_test.check_key]

        instance.report_runless_asset_event(
            dg.AssetMaterialization(staging_asset_key("application"))
        )
        with dg.build_sensor_context(
            instance=instance, definitions=defs, cursor=first.cursor
        ) as context:
            second = sensor(context)
        assert second.run_requests[0].asset_selection == [application_model.key]
        assert second.run_requests[0].asset_check_keys == []


def test_load_sensor_sees_log_types_with_a_waiting_run() -> None:
    from dagster_project.ingestion.sensors import log_types_waiting

    with dg.DagsterInstance.ephemeral() as instance:
        for run_id, status, log_type in [
            ("q", dg.DagsterRunStatus.NOT_STARTED, "inference"),
            ("r", dg.DagsterRunStatus.STARTED, "application"),
        ]:
            instance.add_run(
                dg.DagsterRun(
                    job_name="load_raw_objects",
                    run_id=run_id,
                    status=status,
                    tags={"ollive/log_type": log_type},
                )
            )
        assert log_types_waiting(instance) == {"inference"}
