"""The warehouse as a whole: drop it (before a rebuild or a restore) and fingerprint its facts.

A fingerprint is, per mart table, the row count and an order-independent hash of every row
(the sum of each row's `cityHash64`, so duplicates count), leaving out the columns that say
when a row was loaded (they change on a rebuild, the facts do not) and aggregate states (their
bytes depend on merge order; the values they finalize to are columns of their own).
"""

from __future__ import annotations

from typing import Any

from dagster_project.clickhouse.migrate import forget_schema
from ollive_contract.tables import MARTS_DATABASE, STAGING_DATABASE

FACT_PREFIXES = ("fct_", "agg_", "pii_")


def drop_warehouse(client: Any) -> None:
    """Drop staging (its tables, deduplication logs, manifest, quarantine) and the marts."""
    for database in (MARTS_DATABASE, STAGING_DATABASE):
        client.command(f"DROP DATABASE IF EXISTS {database} SYNC")
    forget_schema()


def fact_tables(client: Any) -> list[str]:
    result = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String} "
        "AND engine LIKE '%MergeTree' ORDER BY name",
        parameters={"db": MARTS_DATABASE},
    )
    return [row[0] for row in result.result_rows if row[0].startswith(FACT_PREFIXES)]


def fingerprinted_columns(client: Any, table: str) -> list[str]:
    result = client.query(
        "SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String} "
        "AND NOT endsWith(name, 'loaded_at') AND type NOT LIKE 'AggregateFunction%' "
        "ORDER BY position",
        parameters={"db": MARTS_DATABASE, "t": table},
    )
    return [row[0] for row in result.result_rows]


def fingerprint(client: Any) -> dict[str, tuple[int, int]]:
    """(rows, hash) per fact, rollup and PII-detection table of the marts."""
    prints = {}
    for table in fact_tables(client):
        columns = ", ".join(f"`{c}`" for c in fingerprinted_columns(client, table))
        rows, digest = client.query(
            f"SELECT count(), sum(cityHash64(tuple({columns}))) FROM {MARTS_DATABASE}.`{table}`"
        ).result_rows[0]
        prints[table] = (int(rows), int(digest))
    return prints
