"""Whether staging already is what `migrate.ensure_schema` would make it, in three reads.

Every load run is a fresh process (a fork of the run worker), so `ensure_schema`'s
once-per-process memo never holds there, and its ~140 idempotent statements (`ADD COLUMN IF NOT
EXISTS` for every column of every table) took 1.6-1.9 s of each run on an idle machine, before
the first INSERT. Asking the system tables whether any of them would change something costs a
few milliseconds; the statements run only when one would.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from dagster_project.clickhouse.migrate import current_ttls, log_types_without_loaded_at_index
from dagster_project.clickhouse.staging_schema import LINEAGE, event_columns, ttl_expression
from ollive_contract.events import LOG_TYPES
from ollive_contract.tables import (
    LOAD_MANIFEST_TABLE,
    QUARANTINE_TABLE,
    STAGING_DATABASE,
    STAGING_TABLES,
)


def wanted_columns() -> dict[str, set[str]]:
    """The columns `ensure_schema` gives each table it makes (none listed: the table exists)."""
    return {
        **{STAGING_TABLES[lt]: {n for n, _ in event_columns(lt) + LINEAGE} for lt in LOG_TYPES},
        LOAD_MANIFEST_TABLE: set(),
        QUARANTINE_TABLE: set(),
    }


def schema_current(client: Any, ttl_days: int | None, cluster: str | None) -> bool:
    """True when no statement of `ensure_schema(client, ttl_days, cluster)` would change
    anything: every table with every column, the `_loaded_at` index, the TTL. Always False on a
    cluster, where the statements run `ON CLUSTER` and one node's tables say nothing of the
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
    if log_types_without_loaded_at_index(client):
        return False
    wanted_ttl = ttl_expression(ttl_days)
    return all(ttl == wanted_ttl for ttl in current_ttls(client).values())
