"""The load manifest: the exactly-once ledger of objects already loaded or quarantined.

Rows are written after an object's insert; the sensor and the load diff against it. A crash
between insert and manifest row is harmless: the re-insert carries the same deduplication token.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
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


COLUMNS = tuple(f.name for f in fields(ManifestRow))


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
    """Append manifest rows (ReplacingMergeTree: a repeated key collapses to one row).

    Sent as JSON lines, not through `client.insert`: its first call in a process imports
    pandas and pyarrow (clickhouse-connect looks for a DataFrame), 0.5-0.7 s of every load run,
    since each run is a fresh fork of the run worker."""
    if not rows:
        return
    body = "\n".join(json.dumps(asdict(r)) for r in rows)
    client.raw_insert(MANIFEST, list(COLUMNS), body.encode(), fmt="JSONEachRow")
