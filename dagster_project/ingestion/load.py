"""Loads raw objects into staging inside ClickHouse: `INSERT … SELECT … FROM s3(…)`.

Each object is one INSERT whose `insert_deduplication_token` is the object key, so ClickHouse
itself refuses a second copy (a retried run, a run that died before writing its manifest row, a
replay); the manifest row written afterwards lets the sensor stop asking. An object whose bytes
are bad (not gzip, not JSON, a field of the wrong type, a required field missing) is
quarantined with ClickHouse's reason; the others load regardless.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from dagster_project.clickhouse.migrate import ensure_schema
from dagster_project.clickhouse.staging_schema import event_columns, s3_structure
from dagster_project.ingestion import manifest
from dagster_project.ingestion.quarantine import is_data_error, quarantine, reason_of
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive.contract.object_keys import ObjectKey
from ollive.contract.tables import staging_table

SKIPPED = "skipped"

# Rows that parse but break the contract's required fields fail the whole object (code 395),
# rather than landing as zero UUIDs or empty names.
_REQUIRED: dict[str, str] = {
    "inference": "provider != '' AND model != '' AND status != ''",
    "tool_execution": "tool_name != '' AND status != ''",
    "application": "level != ''",
}
_ENVELOPE_REQUIRED = (
    "event_id != toUUID('00000000-0000-0000-0000-000000000000') AND service != '' "
    "AND project_id != '' AND toUnixTimestamp64Milli(received_at) > 0 "
    "AND toUnixTimestamp64Milli(started_at) > 0"
)

INSERT_SETTINGS: dict[str, Any] = {
    "insert_deduplicate": 1,
    "date_time_input_format": "best_effort",
    "input_format_skip_unknown_fields": 1,
    "input_format_null_as_default": 1,
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one object."""

    object_key: str
    log_type: str
    status: str  # loaded | quarantined | skipped (already in the manifest)
    rows: int = 0
    size: int = 0
    reason: str = ""


def insert_sql(log_type: str) -> str:
    """The load statement of a log type; url, credentials and key are query parameters."""
    columns = ", ".join(name for name, _ in event_columns(log_type))
    return (
        f"INSERT INTO {staging_table(log_type)} ({columns}, _object_key)\n"
        f"SELECT {columns}, {{key:String}}\n"
        f"FROM s3({{url:String}}, {{access_key:String}}, {{secret_key:String}}, 'JSONEachRow',"
        f" {{structure:String}}, 'gzip')\n"
        f"WHERE throwIf(NOT ({_ENVELOPE_REQUIRED} AND {_REQUIRED[log_type]}),"
        f" 'non-conforming event: a required field is missing or empty') = 0"
    )


def load_object(
    client: Any, store: ObjectStoreResource, key: str, size: int, run_id: str
) -> Outcome:
    """Load one object exactly once, or quarantine it; transient errors propagate."""
    try:
        log_type = ObjectKey.parse(key).log_type
    except ValueError as exc:
        return _quarantine(client, store, key, "unknown", str(exc), size, run_id)
    try:
        result = client.query(
            insert_sql(log_type),
            parameters={
                "key": key,
                "url": store.clickhouse_url(key),
                "access_key": store.access_key,
                "secret_key": store.secret_key,
                "structure": s3_structure(log_type),
            },
            settings={**INSERT_SETTINGS, "insert_deduplication_token": key},
        )
    except Exception as exc:
        if not is_data_error(exc):
            raise
        _remove_partial(client, log_type, key)
        return _quarantine(client, store, key, log_type, reason_of(exc), size, run_id)
    rows = int(result.summary.get("written_rows", 0))
    manifest.record(
        client, [manifest.ManifestRow(key, log_type, manifest.LOADED, rows, size, run_id)]
    )
    return Outcome(key, log_type, manifest.LOADED, rows, size)


def _remove_partial(client: Any, log_type: str, key: str) -> None:
    """A large object can fail after some blocks were written; take them back out."""
    table = staging_table(log_type)
    params = {"key": key}
    if client.query(
        f"SELECT count() FROM {table} WHERE _object_key = {{key:String}}", parameters=params
    ).result_rows[0][0]:
        client.command(f"DELETE FROM {table} WHERE _object_key = {{key:String}}", parameters=params)


def _quarantine(
    client: Any,
    store: ObjectStoreResource,
    key: str,
    log_type: str,
    reason: str,
    size: int,
    run_id: str,
) -> Outcome:
    quarantine(client, key, log_type, reason, _sample(store, key))
    manifest.record(
        client, [manifest.ManifestRow(key, log_type, manifest.QUARANTINED, 0, size, run_id)]
    )
    return Outcome(key, log_type, manifest.QUARANTINED, 0, size, reason)


def _sample(store: ObjectStoreResource, key: str, limit: int = 4096) -> bytes:
    """The object's first bytes, for whoever investigates the quarantine."""
    try:
        body = store.client().get_object(Bucket=store.bucket, Key=key, Range=f"bytes=0-{limit - 1}")
        return body["Body"].read()
    except Exception as exc:  # the sample is a courtesy; the reason is what matters
        return f"<sample unavailable: {exc}>".encode()


def load_objects(
    clickhouse: ClickHouseResource,
    store: ObjectStoreResource,
    objects: Sequence[tuple[str, int]],
    run_id: str,
    *,
    parallelism: int = 4,
    ttl_days: int | None = None,
    skip_recorded: bool = True,
    progress: Callable[[int, int, float], None] | None = None,
) -> list[Outcome]:
    """Load many (key, size) objects with `parallelism` concurrent INSERTs."""
    client = clickhouse.get_client()
    ensure_schema(client, ttl_days)
    done = manifest.recorded(client, (k for k, _ in objects)) if skip_recorded else set()
    todo = [(k, s) for k, s in objects if k not in done]
    outcomes = [Outcome(k, _log_type_or_unknown(k), SKIPPED, 0, s) for k, s in objects if k in done]
    local = threading.local()
    started, finished = time.monotonic(), 0
    lock = threading.Lock()

    def one(item: tuple[str, int]) -> Outcome:
        nonlocal finished
        if not hasattr(local, "client"):
            local.client = clickhouse.get_client()
        outcome = load_object(local.client, store, item[0], item[1], run_id)
        with lock:
            finished += 1
            if progress:
                progress(finished, len(todo), time.monotonic() - started)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="load") as pool:
        outcomes.extend(pool.map(one, todo))
    return outcomes


def _log_type_or_unknown(key: str) -> str:
    try:
        return ObjectKey.parse(key).log_type
    except ValueError:
        return "unknown"
