"""The one place that chooses resource configuration for the environment (embedded/production)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from dagster_duckdb import DuckDBResource

from dagster_project.ingestion.settings import LoaderSettings
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from dagster_project.settings import PipelineSettings
from ollive.settings import OlliveSettings


def dbt_executable() -> str:
    """`dbt` beside this interpreter (the venv), else on PATH: dagster-dbt shells out to it."""
    local = Path(sys.executable).with_name("dbt")
    return str(local) if local.exists() else (shutil.which("dbt") or "dbt")


def build_resources(stack: OlliveSettings, pipeline: PipelineSettings) -> dict[str, Any]:
    """Resources keyed as the assets, sensors and checks name their parameters."""
    resources: dict[str, Any] = {
        "object_store": ObjectStoreResource(
            endpoint=stack.s3_url,
            access_key=stack.s3_access_key,
            secret_key=stack.s3_secret_key.get_secret_value(),
            bucket=stack.s3_bucket,
            region=stack.s3_region,
            clickhouse_endpoint=pipeline.s3_clickhouse_endpoint,
        ),
        "clickhouse": ClickHouseResource(
            host=stack.clickhouse_host,
            port=stack.clickhouse_port,
            username=stack.clickhouse_user,
            password=stack.clickhouse_password.get_secret_value(),
            secure=pipeline.clickhouse_secure,
        ),
        "loader": LoaderSettings(
            lookback_hours=pipeline.loader_lookback_hours,
            max_objects_per_run=pipeline.loader_max_objects_per_run,
            load_parallelism=pipeline.loader_parallelism,
            objects_per_insert=pipeline.loader_objects_per_insert,
            staging_ttl_days=pipeline.staging_ttl_days,
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
