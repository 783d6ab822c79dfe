"""The load manifest: the exactly-once ledger of objects already loaded or quarantined.

Rows are written after an object's insert; the sensor and the load diff against it. A crash
between insert and manifest row is harmless: the re-insert carries the same deduplication token.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ollive_contract.tables import LOAD_MANIFEST_TABLE, STAGING_DATABASE

MANIFEST = f"{STAGING_DATABASE}.{LOAD_MANIFEST_TABLE}"
LOADED, QUARANTINED = "loaded", "quarantined"


@dataclass(frozen=True)
class ManifestRow:
    object_key: str
    log_type: str
    status: str
    rows_loaded: int
    object_size: int
    run_id: str


def keys_under(client: Any, prefixes: Sequence[str]) -> set[str]:
    """Keys recorded under any of `prefixes` (a range scan on the manifest's sort key)."""
    if not prefixes:
        return set()
    where = " OR ".join(f"startsWith(object_key, {{p{i}:String}})" for i in range(len(prefixes)))
    params = {f"p{i}": p for i, p in enumerate(prefixes)}
    result = client.query(
        f"SELECT DISTINCT object_key FROM {MANIFEST} WHERE {where}", parameters=params
    )
    return {row[0] for row in result.result_rows}


def recorded(client: Any, keys: Iterable[str]) -> set[str]:
    """Which of `keys` the manifest already holds (a server-side `Array(String)` parameter)."""
    keys = list(keys)
    found: set[str] = set()
    for i in range(0, len(keys), 5000):
        result = client.query(
            f"SELECT DISTINCT object_key FROM {MANIFEST}"
            " WHERE object_key IN {keys:Array(String)}",
            parameters={"keys": keys[i : i + 5000]},
        )
        found.update(row[0] for row in result.result_rows)
    return found


def record(client: Any, rows: Sequence[ManifestRow]) -> None:
    """Append manifest rows (ReplacingMergeTree: a repeated key collapses to one row)."""
    if not rows:
        return
    client.insert(
        MANIFEST,
        [
            [r.object_key, r.log_type, r.status, r.rows_loaded, r.object_size, r.run_id]
            for r in rows
        ],
        column_names=["object_key", "log_type", "status", "rows_loaded", "object_size", "run_id"],
    )
