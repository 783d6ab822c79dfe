"""The one place that turns the pipeline's settings into resources.

Secrets reach the resources as `dg.EnvVar`, so Dagster resolves them at run time and never shows
or stores their values; the embedded stack and compose both set every variable they name.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.ingestion.settings import LoaderSettings
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.settings import ClickHouseSettings, ObjectStoreSettings, env_name
from ollive_contract.settings.pipeline import PipelineSettings


def dbt_executable() -> str:
    """`dbt` beside this interpreter (the venv), else on PATH: dagster-dbt shells out to it."""
    local = Path(sys.executable).with_name("dbt")
    return str(local) if local.exists() else (shutil.which("dbt") or "dbt")


def build_resources(pipeline: PipelineSettings) -> dict[str, Any]:
    """Resources keyed as the assets, sensors and checks name their parameters."""
    s3, clickhouse = pipeline.s3, pipeline.clickhouse
    resources: dict[str, Any] = {
        "object_store": ObjectStoreResource(
            endpoint=s3.endpoint,
            access_key=s3.access_key,
            secret_key=dg.EnvVar(env_name(ObjectStoreSettings, "secret_key")),
            bucket=s3.bucket,
            region=s3.region,
            clickhouse_endpoint=s3.clickhouse_endpoint,
        ),
        "clickhouse": ClickHouseResource(
            host=clickhouse.host,
            port=clickhouse.port,
            username=clickhouse.user,
            password=dg.EnvVar(env_name(ClickHouseSettings, "password")),
            secure=clickhouse.secure,
        ),
        "loader": LoaderSettings(
            lookback_hours=pipeline.loader_lookback_hours,
            max_objects_per_run=pipeline.loader_max_objects_per_run,
            load_parallelism=pipeline.loader_parallelism,
            objects_per_insert=pipeline.loader_objects_per_insert,
            staging_ttl_days=pipeline.staging_ttl_days,
            metrics_dir=str(pipeline.metrics_dir) if pipeline.metrics_dir else None,
        ),
        # compaction works on local copies of the day's objects; nothing needs to persist here,
        # and a file would make two partitions' runs contend for its lock
        "duckdb": DuckDBResource(database=":memory:"),
    }
    if (pipeline.dbt_project_dir / "dbt_project.yml").exists():
        from dagster_project.resources.dbt import DbtBuildResource

        resources["dbt"] = DbtBuildResource(
            project_dir=str(pipeline.dbt_project_dir),
            target=pipeline.dbt_target,
            dbt_executable=dbt_executable(),
        )
    return resources
