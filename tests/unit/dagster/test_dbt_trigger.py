"""dbt follows loads: one build requested per batch of loads, none while one is still waiting;
the rollup path (hot) first, the models reading it (rest) after each hot build."""

from __future__ import annotations

import json
import threading
import time
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


def _jobs(whole: Any, hot: Any, rest: Any) -> list[dg.UnresolvedAssetJobDefinition]:
    return [
        dg.define_asset_job("dbt_build", selection=whole),
        dg.define_asset_job("dbt_build_hot", selection=hot),
        dg.define_asset_job("dbt_build_rest", selection=rest),
    ]


def test_dbt_build_requested_after_loads_and_not_piled_up() -> None:
    sensor = build_dbt_after_loads_sensor(*_jobs(*[[stand_in_model]] * 3), poll_seconds=0)
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


@dg.asset(deps=[staging_asset_key("inference"), staging_asset_key("application")])
def all_loads_view() -> None:
    """Stands in for `stg_event_loads`: every table's loads, read per log type by the facts."""


@dg.asset(deps=[all_loads_view, staging_asset_key("application")])
def application_fact() -> None:
    """Stands in for a fact that reads its own log type's rows of the union view."""


@dg.asset(deps=[inference_model])
def inference_trace() -> None:
    """Stands in for a rest model (traces, anomalies) reading the inference rollup path."""


@dg.asset(deps=[application_fact])
def application_trace() -> None:
    """Stands in for a rest model reading the application rollup path."""


@dg.asset_check(asset=inference_model)
def inference_model_test() -> dg.AssetCheckResult:
    """Stands in for a dbt test: part of the build."""
    return dg.AssetCheckResult(passed=True)


@dg.asset_check(asset=inference_model)
def inference_model_freshness() -> dg.AssetCheckResult:
    """Stands in for a freshness check: its own schedule's, not the build's."""
    return dg.AssetCheckResult(passed=True)


HOT_MODELS = [inference_model, application_model, all_loads_view, application_fact]
REST_MODELS = [inference_trace, application_trace]


def test_an_evaluation_waits_for_a_load_within_its_tick() -> None:
    """A load that lands while the evaluation looks is requested in that tick, not the next;
    with nothing new, the evaluation gives the tick up after its polling time."""
    sensor = build_dbt_after_loads_sensor(*_jobs(*[[stand_in_model]] * 3), poll_seconds=2)
    with dg.DagsterInstance.ephemeral() as instance:
        _load(instance, "inference")
        cursor = _tick(sensor, instance, None).cursor
        landing = threading.Timer(0.6, _load, args=(instance, "inference"))
        started = time.monotonic()
        landing.start()
        result = _tick(sensor, instance, cursor)
        landing.join()
        assert len(result.run_requests) == 1
        assert 0.5 < time.monotonic() - started < 1.9
        started = time.monotonic()
        assert not _tick(sensor, instance, result.cursor).run_requests
        assert 1.4 < time.monotonic() - started < 3.0


def _split_defs() -> tuple[dg.SensorDefinition, dg.Definitions]:
    hot = dg.AssetSelection.assets(*HOT_MODELS)
    rest = dg.AssetSelection.assets(*REST_MODELS)
    tests = dg.AssetSelection.checks(inference_model_test)
    jobs = _jobs((hot | rest).without_checks() | tests, hot.without_checks() | tests, rest)
    sensor = build_dbt_after_loads_sensor(*jobs, poll_seconds=0)
    defs = dg.Definitions(
        assets=[*HOT_MODELS, *REST_MODELS],
        asset_checks=[inference_model_test, inference_model_freshness],
        jobs=jobs,
        sensors=[sensor],
    )
    return sensor, defs


def _load(instance: dg.DagsterInstance, log_type: str) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(staging_asset_key(log_type)))


def _finish_hot_build(instance: dg.DagsterInstance, run_id: str, built: list[Any]) -> None:
    instance.add_run(
        dg.DagsterRun(
            job_name="dbt_build_hot",
            run_id=run_id,
            status=dg.DagsterRunStatus.SUCCESS,
            asset_selection=frozenset(a.key for a in built),
        )
    )


def test_dbt_build_selects_only_models_downstream_of_new_loads() -> None:
    sensor, defs = _split_defs()

    def tick(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
        with dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor) as c:
            return sensor(c)

    with dg.DagsterInstance.ephemeral() as instance:
        _load(instance, "inference")
        first = tick(instance, None)
        # the first build takes all
        assert [(r.job_name, r.asset_selection) for r in first.run_requests] == [
            ("dbt_build", None)
        ]
        # it was killed before building anything: the next build takes all again
        _load(instance, "inference")
        first = tick(instance, first.cursor)
        assert [(r.job_name, r.asset_selection) for r in first.run_requests] == [
            ("dbt_build", None)
        ]
        # that one built every model: a load now gets a hot build of its path only, not of
        # the other table's fact behind the union view, and only the build's own check on it
        for model in (*HOT_MODELS, *REST_MODELS):
            instance.report_runless_asset_event(dg.AssetMaterialization(model.key))
        _load(instance, "inference")
        hot = tick(instance, first.cursor)
        (request,) = hot.run_requests
        assert request.job_name == "dbt_build_hot"
        assert request.asset_selection == [all_loads_view.key, inference_model.key]
        assert request.asset_check_keys == [inference_model_test.check_key]

        _load(instance, "application")
        hot = tick(instance, hot.cursor)
        (request,) = hot.run_requests
        assert request.asset_selection == [
            all_loads_view.key,
            application_fact.key,
            application_model.key,
        ]
        assert request.asset_check_keys == []

        # a hot build finished: the rest downstream of what it built follows, once
        _finish_hot_build(instance, "hot-1", [inference_model, all_loads_view])
        rest = tick(instance, hot.cursor)
        (request,) = rest.run_requests
        assert (request.job_name, request.asset_selection) == (
            "dbt_build_rest",
            [inference_trace.key],
        )
        assert not tick(instance, rest.cursor).run_requests

        # while a rest build waits, a finished hot build adds nothing, a load still gets its
        # hot build; once it has started, the next rest build is requested
        instance.add_run(
            dg.DagsterRun(
                job_name="dbt_build_rest", run_id="rest-q", status=dg.DagsterRunStatus.NOT_STARTED
            )
        )
        _finish_hot_build(instance, "hot-2", [application_fact])
        _load(instance, "inference")
        both = tick(instance, rest.cursor)
        assert [r.job_name for r in both.run_requests] == ["dbt_build_hot"]
        instance.delete_run("rest-q")
        later = tick(instance, both.cursor)
        (request,) = later.run_requests
        assert (request.job_name, request.asset_selection) == (
            "dbt_build_rest",
            [application_trace.key],
        )


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
