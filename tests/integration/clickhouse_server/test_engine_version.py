"""One engine version family: production's ClickHouse image is the embedded engine's release
line, and the staging DDL (single server and cluster) is valid SQL for the embedded engine.

What this cannot check without Docker: the production image itself. Both sides are the same
major.minor line (26.9), so no syntax differs between them; `test_dbt.py` builds every dbt
model on the embedded engine.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import yaml

from dagster_project.clickhouse import staging_schema
from ollive_contract.tables import STAGING_DATABASE, STAGING_TABLES

COMPOSE = Path(__file__).resolve().parents[3] / "docker-compose.yml"
LOG_TYPES = sorted(STAGING_TABLES)


def _statements(cluster: str | None) -> list[str]:
    out: list[str] = [staging_schema.create_database(cluster)]
    for log_type in LOG_TYPES:
        out += staging_schema.staging_table_statements(log_type, 30, cluster)
        out += staging_schema.add_missing_columns(log_type, cluster)
    out += staging_schema.load_manifest_statements(cluster)
    out += staging_schema.quarantine_statements(cluster)
    return out


def test_production_pins_the_embedded_engines_release_line(clickhouse_server):
    image = yaml.safe_load(COMPOSE.read_text())["services"]["clickhouse"]["image"]
    repository, tag = image.rsplit(":", 1)
    assert repository == "clickhouse/clickhouse-server"
    engine = clickhouse_server.client().query("SELECT version()").result_rows[0][0]
    assert re.fullmatch(r"\d+\.\d+", tag), "pin a release line (major.minor), not latest"
    assert engine.split(".")[:2] == tag.split("."), f"engine {engine}, production {tag}"


@pytest.mark.parametrize("cluster", [None, "ollive"], ids=["single", "cluster"])
def test_the_staging_ddl_parses_with_the_embedded_engine(clickhouse_server, cluster):
    client = clickhouse_server.client()
    statements = _statements(cluster)
    assert len(statements) > 3 * len(LOG_TYPES)
    for statement in statements:
        ast = client.query(f"EXPLAIN AST {statement}").result_rows
        assert ast, statement


def test_the_single_server_staging_ddl_runs_on_the_embedded_engine(clickhouse_server):
    """Beyond parsing: types, engines and table settings exist in this engine version."""
    client = clickhouse_server.client()
    scratch = f"ddl_{uuid.uuid4().hex[:8]}"
    try:
        for statement in _statements(None):
            client.command(statement.replace(f"{STAGING_DATABASE}", scratch))
        tables = client.query(
            "SELECT name FROM system.tables WHERE database = {db:String}", {"db": scratch}
        ).result_rows
        assert len(tables) == len(LOG_TYPES) + 2  # staging tables, manifest, quarantine
    finally:
        client.command(f"DROP DATABASE IF EXISTS {scratch}")
