"""Applies the staging DDL idempotently, once per process and ClickHouse endpoint."""

from __future__ import annotations

import threading
from typing import Any

from dagster_project.clickhouse import staging_schema
from ollive_contract.events import LOG_TYPES

_done: set[tuple[str, int | None]] = set()
_lock = threading.Lock()


def schema_statements(ttl_days: int | None) -> list[str]:
    """Every statement the pipeline needs, in order; each is `IF NOT EXISTS`, so a table made
    by an older contract gains the columns added since."""
    return [
        staging_schema.create_database(),
        *(staging_schema.create_staging_table(lt, ttl_days) for lt in LOG_TYPES),
        *(stmt for lt in LOG_TYPES for stmt in staging_schema.add_missing_columns(lt)),
        staging_schema.create_load_manifest(),
        staging_schema.create_quarantine(),
    ]


def ensure_schema(client: Any, ttl_days: int | None = None) -> None:
    """Create what is missing; skipped after the first success in this process (loads are hot)."""
    ident = (getattr(client, "url", None) or str(id(client)), ttl_days)
    with _lock:
        if ident in _done:
            return
        for statement in schema_statements(ttl_days):
            client.command(statement)
        _done.add(ident)
