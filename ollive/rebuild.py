"""`ollive rebuild`: drop the warehouse, replay the raw lake, rebuild dbt, and prove the facts
came back the same.

ClickHouse is a projection of the raw objects (docs/retention.md): staging, the manifest and
every mart can be made again from `raw/`. The facts' fingerprints (row count and an
order-independent hash per table, load times left out) are taken before and after; a rebuild
that changed a fact says which. What a rebuild can bring back is what `raw/` still holds: days
whose raw objects the lifecycle expired come back from a ClickHouse backup instead.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import typer

from dagster_project.clickhouse.migrate import ensure_schema
from dagster_project.ingestion.replay import replay_raw_objects_job
from dagster_project.ingestion.settings import LoaderSettings
from dagster_project.maintenance.lifecycle import raw_days
from dagster_project.maintenance.warehouse import drop_warehouse, fingerprint
from dagster_project.resources.build import dbt_executable
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import LOG_TYPES
from ollive_contract.settings import PipelineSettings, settings_env

Say = Callable[[str], None]


@dataclass(frozen=True)
class RebuildReport:
    """The facts' fingerprints before and after, and the tables whose facts differ."""

    before: dict[str, tuple[int, int]]
    after: dict[str, tuple[int, int]]
    days: list[str]

    @property
    def changed(self) -> list[str]:
        tables = sorted(set(self.before) | set(self.after))
        return [t for t in tables if self.before.get(t) != self.after.get(t)]


def resources(pipeline: PipelineSettings) -> dict[str, Any]:
    """The pipeline's resources with their values (this process already holds the secrets)."""
    s3, ch = pipeline.s3, pipeline.clickhouse
    return {
        "object_store": ObjectStoreResource(
            endpoint=s3.endpoint,
            access_key=s3.access_key,
            secret_key=s3.secret_key.get_secret_value(),
            bucket=s3.bucket,
            region=s3.region,
            clickhouse_endpoint=s3.clickhouse_endpoint,
        ),
        "clickhouse": ClickHouseResource(
            host=ch.host,
            port=ch.port,
            username=ch.user,
            password=ch.password.get_secret_value(),
            secure=ch.secure,
        ),
        "loader": LoaderSettings(
            load_parallelism=pipeline.loader_parallelism,
            objects_per_insert=pipeline.loader_objects_per_insert,
            staging_ttl_days=pipeline.staging_ttl_days,
        ),
    }


def replay_lake(pipeline: PipelineSettings, say: Say = print) -> list[str]:
    """Load every raw object still in the bucket through the replay job; returns the days."""
    res = resources(pipeline)
    store: ObjectStoreResource = res["object_store"]
    ensure_schema(res["clickhouse"].get_client(), pipeline.staging_ttl_days)
    days = sorted({d for lt in LOG_TYPES for d in raw_days(store, lt)})
    if not days:
        return []
    say(f"replaying {days[0]} … {days[-1]} ({len(days)} days with raw objects)")
    config = {"start_date": days[0], "end_date": days[-1]}
    result = replay_raw_objects_job.execute_in_process(
        run_config={"ops": {"replay_raw_objects": {"config": config}}}, resources=res
    )
    if not result.success:
        raise RuntimeError("the replay failed; see its log above")
    return days


def build_marts(pipeline: PipelineSettings, say: Say = print) -> None:
    """`dbt build` of seeds and models (tests are the dbt job's business) on the target."""
    say(f"dbt build on the {pipeline.dbt_target} target")
    project = str(pipeline.dbt_project_dir)
    done = subprocess.run(
        [
            dbt_executable(),
            "build",
            "--exclude-resource-type",
            "test",
            "--exclude-resource-type",
            "unit_test",
            "--project-dir",
            project,
            "--profiles-dir",
            project,
            "--target",
            pipeline.dbt_target,
        ],
        env={**os.environ, **settings_env(pipeline)},
        capture_output=True,
        text=True,
        cwd=project,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{done.stdout[-4000:]}{done.stderr[-2000:]}")


def rebuild(pipeline: PipelineSettings, say: Say = print) -> RebuildReport:
    """Drop staging and the marts, replay `raw/`, rebuild dbt; compare the facts."""
    client = resources(pipeline)["clickhouse"].get_client()
    before = fingerprint(client)
    say(f"facts before: {sum(r for r, _ in before.values())} rows in {len(before)} tables")
    drop_warehouse(client)
    days = replay_lake(pipeline, say)
    build_marts(pipeline, say)
    after = fingerprint(client)
    say(f"facts after: {sum(r for r, _ in after.values())} rows in {len(after)} tables")
    return RebuildReport(before, after, days)


def rebuild_command(
    yes: bool = typer.Option(False, "--yes", help="Do not ask before dropping the warehouse."),
) -> None:
    """Drop the warehouse (staging, manifest, marts), replay raw/ and rebuild dbt; exits 1 if
    any fact differs from before."""
    pipeline = PipelineSettings()
    if not yes:
        typer.confirm(
            f"Drop every table of ClickHouse {pipeline.clickhouse.host}:{pipeline.clickhouse.port}"
            " and rebuild it from the raw objects?",
            abort=True,
        )
    report = rebuild(pipeline, typer.echo)
    if report.changed:
        typer.echo(f"facts differ after the rebuild: {', '.join(report.changed)}", err=True)
        raise typer.Exit(1)
    typer.echo(f"identical facts in {len(report.after)} tables")
