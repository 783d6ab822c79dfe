"""Applies the staging DDL idempotently, once per process and ClickHouse endpoint, and only
when a read of the system tables says a statement would change something."""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from typing import Any

from dagster_project.clickhouse import staging_schema
from ollive_contract.events import LOG_TYPES
from ollive_contract.tables import (
    LOAD_MANIFEST_TABLE,
    QUARANTINE_TABLE,
    STAGING_DATABASE,
    STAGING_TABLES,
    staging_table,
)

_done: set[tuple[str, int | None, str | None]] = set()
_lock = threading.Lock()
# `engine_full` of a MergeTree: "… ORDER BY (…) TTL <expr> SETTINGS …"
_TTL_IN_ENGINE = re.compile(r"\bTTL (.*?)(?: SETTINGS |$)")


def schema_statements(ttl_days: int | None, cluster: str | None = None) -> list[str]:
    """Every statement the pipeline needs, in order; each is `IF NOT EXISTS`, so a table made
    by an older contract gains the columns added since. With `cluster`, every statement runs
    `ON CLUSTER` and creates replicated tables behind Distributed ones."""
    return [
        staging_schema.create_database(cluster),
        *(
            s
            for lt in LOG_TYPES
            for s in staging_schema.staging_table_statements(lt, ttl_days, cluster)
        ),
        *(s for lt in LOG_TYPES for s in staging_schema.add_missing_columns(lt, cluster)),
        *(
            staging_schema.add_skip_index(lt, name, cluster)
            for lt in LOG_TYPES
            for name in staging_schema.SKIP_INDEXES
        ),
        *staging_schema.load_manifest_statements(cluster),
        *staging_schema.quarantine_statements(cluster),
    ]


def ttl_statements(
    current: dict[str, str | None], ttl_days: int | None, cluster: str | None = None
) -> list[str]:
    """The `ALTER TABLE … MODIFY TTL` (or `REMOVE TTL`) that bring each staging table's TTL to
    `ttl_days`, given each table's current TTL expression; nothing for a table already there,
    so a restart rewrites no part. ClickHouse materializes a modified TTL in the background:
    rows already expired go at the next merge (or `OPTIMIZE … FINAL`)."""
    wanted = staging_schema.ttl_expression(ttl_days)
    on_cluster = f" ON CLUSTER {cluster}" if cluster else ""
    statements = []
    for table, ttl in current.items():
        if ttl == wanted:
            continue
        change = f"MODIFY TTL {wanted}" if wanted else "REMOVE TTL"
        statements.append(f"ALTER TABLE {table}{on_cluster} {change}")
    return statements


def current_ttls(client: Any, cluster: str | None = None) -> dict[str, str | None]:
    """Each staging MergeTree table's TTL expression as the server shows it (the replicated
    tables on a cluster: a Distributed table has none)."""
    names = [staging_table(lt).split(".", 1)[1] for lt in LOG_TYPES]
    if cluster:
        names = [staging_schema.local_table(n) for n in names]
    result = client.query(
        "SELECT name, engine_full FROM system.tables WHERE database = {db:String} "
        "AND name IN {names:Array(String)} AND engine LIKE '%MergeTree'",
        parameters={"db": STAGING_DATABASE, "names": names},
    )
    return {
        f"{STAGING_DATABASE}.{name}": (m[1] if (m := _TTL_IN_ENGINE.search(engine)) else None)
        for name, engine in result.result_rows
    }


def missing_skip_indexes(client: Any, cluster: str | None = None) -> list[tuple[str, str]]:
    """(log type, index name) of each skip index an existing staging table lacks (made before
    the index): after `schema_statements` adds it, its old parts still need it built."""
    names = {staging_table(lt).split(".", 1)[1]: lt for lt in LOG_TYPES}
    if cluster:
        names = {staging_schema.local_table(n): lt for n, lt in names.items()}
    tables = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String} "
        "AND name IN {names:Array(String)}",
        parameters={"db": STAGING_DATABASE, "names": list(names)},
    )
    indexed = client.query(
        "SELECT table, name FROM system.data_skipping_indices WHERE database = {db:String}",
        parameters={"db": STAGING_DATABASE},
    )
    have = {(table, name) for table, name in indexed.result_rows}
    return [
        (names[table], index)
        for (table,) in tables.result_rows
        for index in staging_schema.SKIP_INDEXES
        if (table, index) not in have
    ]


def apply_ttl(client: Any, ttl_days: int | None, cluster: str | None = None) -> list[str]:
    """Bring existing staging tables to the configured TTL; returns the statements run."""
    statements = ttl_statements(current_ttls(client, cluster), ttl_days, cluster)
    for statement in statements:
        client.command(statement)
    return statements


def wanted_columns() -> dict[str, set[str]]:
    """The columns `schema_statements` gives each table (none listed: the table exists)."""
    return {
        **{
            STAGING_TABLES[lt]: {
                n for n, _ in staging_schema.event_columns(lt) + staging_schema.LINEAGE
            }
            for lt in LOG_TYPES
        },
        LOAD_MANIFEST_TABLE: set(),
        QUARANTINE_TABLE: set(),
    }


def schema_current(client: Any, ttl_days: int | None, cluster: str | None) -> bool:
    """True when no statement of `ensure_schema(client, ttl_days, cluster)` would change
    anything: every table with every column and skip index, the TTL (three reads of
    the system tables, a few milliseconds, against ~140 idempotent statements). Always False on
    a cluster, where the statements run `ON CLUSTER` and one node's tables say nothing of the
    others'."""
    if cluster:
        return False
    rows = client.query(
        "SELECT table, name FROM system.columns WHERE database = {db:String}",
        parameters={"db": STAGING_DATABASE},
    ).result_rows
    have: dict[str, set[str]] = defaultdict(set)
    for table, name in rows:
        have[table].add(name)
    if any(t not in have or not cols <= have[t] for t, cols in wanted_columns().items()):
        return False
    if missing_skip_indexes(client):
        return False
    wanted_ttl = staging_schema.ttl_expression(ttl_days)
    return all(ttl == wanted_ttl for ttl in current_ttls(client).values())


def ensure_schema(client: Any, ttl_days: int | None = None, cluster: str | None = None) -> None:
    """Create what is missing (the skip indexes of tables made before them included) and
    converge the TTL; skipped after the first success in this process, and the statements
    skipped when `schema_current` finds nothing to change: every load run is a fresh fork of
    the run worker, so the memo never holds there, and the statements took 1.3-3 s of each."""
    ident = (getattr(client, "url", None) or str(id(client)), ttl_days, cluster)
    with _lock:
        if ident in _done:
            return
        if schema_current(client, ttl_days, cluster):
            _done.add(ident)
            return
        unindexed = missing_skip_indexes(client, cluster)
        for statement in schema_statements(ttl_days, cluster):
            client.command(statement)
        for log_type, index in unindexed:  # a mutation, once per index: new parts carry it
            client.command(staging_schema.materialize_skip_index(log_type, index, cluster))
        apply_ttl(client, ttl_days, cluster)
        _done.add(ident)


def forget_schema() -> None:
    """The warehouse was dropped: the next `ensure_schema` in this process creates it again."""
    with _lock:
        _done.clear()
