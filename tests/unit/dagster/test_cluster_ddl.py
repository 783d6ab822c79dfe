"""The warehouse DDL in cluster mode, rendered and checked without a cluster: staging as
Replicated tables ON CLUSTER behind Distributed ones, exactly-once kept by replicated dedup
tokens and a replicated manifest; dbt's marts ReplicatedMergeTree on the production target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dbt.adapters.clickhouse.relation import ClickHouseRelation

from dagster_project.clickhouse import migrate, staging_schema
from ollive_contract.events import LOG_TYPES
from ollive_contract.settings import PipelineSettings
from ollive_contract.tables import staging_table

CLUSTER = "ollive_cluster"


def test_staging_tables_are_replicated_behind_distributed_ones() -> None:
    local, distributed = staging_schema.staging_table_statements("inference", 30, CLUSTER)
    table = staging_table("inference")
    assert local.startswith(f"CREATE TABLE IF NOT EXISTS {table}_local ON CLUSTER {CLUSTER}\n")
    assert (
        "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')"
        in local
    )
    # replicated dedup of the loader's insert_deduplication_token, shared by the replicas
    assert "SETTINGS replicated_deduplication_window = 100000" in local
    assert "non_replicated" not in local
    assert "TTL toDateTime(_loaded_at) + toIntervalDay(30)" in local
    assert distributed == (
        f"CREATE TABLE IF NOT EXISTS {table} ON CLUSTER {CLUSTER} AS {table}_local\n"
        f"ENGINE = Distributed({CLUSTER}, ollive_staging, inference_events_local, "
        "cityHash64(event_id))"
    )
    # one server: the DDL as before, no cluster anywhere
    single = staging_schema.staging_table_statements("inference", 30)
    assert len(single) == 1 and "CLUSTER" not in single[0] and "Replicated" not in single[0]
    assert "SETTINGS non_replicated_deduplication_window = 100000" in single[0]


def test_every_statement_runs_on_the_cluster() -> None:
    statements = migrate.schema_statements(30, CLUSTER)
    assert statements[0] == f"CREATE DATABASE IF NOT EXISTS ollive_staging ON CLUSTER {CLUSTER}"
    assert all(f" ON CLUSTER {CLUSTER}" in s for s in statements)
    manifest = next(s for s in statements if "load_manifest_local ON CLUSTER" in s)
    assert (
        "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', "
        "'{replica}', loaded_at)" in manifest
    )
    assert any(
        "Distributed(ollive_cluster, ollive_staging, load_manifest_local, " in s for s in statements
    )
    # new contract columns reach the replicated tables and the Distributed tables over them
    added = [s for s in statements if "ADD COLUMN IF NOT EXISTS trace_id" in s]
    tables = {s.split()[2] for s in added}
    expected = {staging_table(lt) for lt in LOG_TYPES}
    assert tables == expected | {f"{t}_local" for t in expected}


def test_ttl_changes_target_the_replicated_tables() -> None:
    local = f"ollive_staging.{staging_schema.local_table('application_events')}"
    current = {local: "toDateTime(_loaded_at) + toIntervalDay(30)"}
    assert migrate.ttl_statements(current, 30, CLUSTER) == []
    assert migrate.ttl_statements(current, 7, CLUSTER) == [
        f"ALTER TABLE {local} ON CLUSTER {CLUSTER} MODIFY TTL "
        "toDateTime(_loaded_at) + toIntervalDay(7)"
    ]
    assert migrate.ttl_statements(current, 0, CLUSTER) == [
        f"ALTER TABLE {local} ON CLUSTER {CLUSTER} REMOVE TTL"
    ]


def test_dbt_targets_the_cluster(tmp_path: Path) -> None:
    project = PipelineSettings().dbt_project_dir
    env = {
        **os.environ,
        "OLLIVE_PIPELINE_DBT_TARGET": "production",
        "OLLIVE_PIPELINE_CLICKHOUSE_CLUSTER": CLUSTER,
        "OLLIVE_PIPELINE_USER_ID_SALT": "a-secret-of-this-deployment",
        "OLLIVE_CLICKHOUSE_HOST": "clickhouse.invalid",
        "OLLIVE_CLICKHOUSE_PORT": "8443",
        "OLLIVE_CLICKHOUSE_USER": "ollive",
        "OLLIVE_CLICKHOUSE_PASSWORD": "unused",
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "ls",
            "--resource-type",
            "model",
            "--output",
            "json",
            "--output-keys",
            "name",
            "config",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=project,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    models = {
        m["name"]: m["config"]
        for m in map(
            json.loads, (line for line in done.stdout.splitlines() if line.startswith("{"))
        )
    }
    marts = {n: c for n, c in models.items() if c["materialized"] == "incremental"}
    assert marts and {c["engine"] for c in marts.values()} == {"ReplicatedMergeTree()"}
    assert models["fct_inferences"]["ttl"] == "toDateTime(loaded_at) + toIntervalDay(90)"
    assert models["agg_inference_5m"]["ttl"] == "toDateTime(last_loaded_at) + toIntervalDay(400)"
    # dbt-clickhouse adds ON CLUSTER to a relation's DDL when the profile names a cluster
    assert ClickHouseRelation.get_on_cluster(CLUSTER, None) is True
    assert ClickHouseRelation.get_on_cluster("", None) is False
