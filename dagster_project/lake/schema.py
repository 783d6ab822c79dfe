"""DuckDB column types for the raw lines, derived from the staging columns (one source of truth)."""

from __future__ import annotations

import re

from dagster_project.clickhouse.staging_schema import event_columns

_SCALARS = {
    "UUID": "UUID",
    "String": "VARCHAR",
    "Bool": "BOOLEAN",
    "UInt8": "UTINYINT",
    "UInt64": "UBIGINT",
    "Float64": "DOUBLE",
}


def duckdb_type(clickhouse_type: str) -> str:
    """The DuckDB type of a ClickHouse column type used by the staging tables."""
    t = re.sub(r"\s+CODEC\(.*\)$", "", clickhouse_type.strip())
    for wrapper in ("LowCardinality", "Nullable"):
        if t.startswith(f"{wrapper}(") and t.endswith(")"):
            return duckdb_type(t[len(wrapper) + 1 : -1])
    if t.startswith("DateTime64"):
        return "TIMESTAMPTZ"
    if t.startswith("Map("):
        return "MAP(VARCHAR, VARCHAR)"
    if t.startswith("Array(Tuple(") and t.endswith("))"):
        fields = [f.strip().split(" ", 1) for f in _split_top(t[len("Array(Tuple(") : -2])]
        return "STRUCT(" + ", ".join(f"{n} {duckdb_type(ft)}" for n, ft in fields) + ")[]"
    if t.startswith("Array(") and t.endswith(")"):
        return f"{duckdb_type(t[6:-1])}[]"
    return _SCALARS[t]


def _split_top(body: str) -> list[str]:
    """Split on commas not nested in parentheses."""
    parts, depth, current = [], 0, ""
    for ch in body:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def json_columns(log_type: str) -> dict[str, str]:
    """The `columns` argument of DuckDB's `read_json` for raw objects of `log_type`."""
    return {name: duckdb_type(ctype) for name, ctype in event_columns(log_type)}
