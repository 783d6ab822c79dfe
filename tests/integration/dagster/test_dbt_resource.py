"""The dbt resource skips dagster-dbt's `dbt --version` probe and in-process adapter, and still
drives the real dbt: the version the probe reports, the project's models listed, and an adapter
only on request."""

from __future__ import annotations

from dagster_dbt import DbtCliResource

from dagster_project.resources.build import dbt_executable
from dagster_project.resources.dbt import DbtBuildResource
from ollive_contract.settings.pipeline import PipelineSettings


def _kwargs() -> dict:
    return {
        "project_dir": str(PipelineSettings().dbt_project_dir),
        "dbt_executable": dbt_executable(),
    }


def _listed_models(resource: DbtCliResource) -> tuple[set[str], object]:
    invocation = resource.cli(["ls", "--resource-type", "model"])
    names = {
        event.raw_event["info"]["msg"]
        for event in invocation.stream_raw_events()
        if event.raw_event["info"]["name"] == "PrintEvent"
    }
    assert invocation.is_successful()
    return names, invocation.adapter


def test_version_is_the_one_the_cli_reports() -> None:
    assert DbtBuildResource(**_kwargs())._cli_version == DbtCliResource(**_kwargs())._cli_version


def test_commands_run_without_an_adapter_unless_asked() -> None:
    models, adapter = _listed_models(DbtBuildResource(**_kwargs()))
    assert "ollive.marts.rollups.agg_inference_5m" in models and adapter is None

    same, adapter = _listed_models(DbtBuildResource(**_kwargs(), with_adapter=True))
    assert same == models and type(adapter).__name__ == "ClickHouseAdapter"
