"""Loads raw objects into staging inside ClickHouse: `INSERT … SELECT … FROM s3(…)`.

Each object is one INSERT whose `insert_deduplication_token` is the object key, so ClickHouse
itself refuses a second copy (a retried run, a run that died before writing its manifest row, a
replay); the manifest row written afterwards lets the sensor stop asking. An object whose bytes
are bad (not gzip, not JSON, a field of the wrong type, a required field missing) is
quarantined with ClickHouse's reason; the others load regardless.

Parsing is cheaper per row when one INSERT reads several objects (one part instead of one per
object: measured 1.6x less ClickHouse CPU including merges), but ClickHouse's deduplication
token covers a whole INSERT, not each object in it. `load_objects(objects_per_insert=n)` batches
objects of one hour prefix into one INSERT and keeps exactly-once per object another way: right
before the INSERT it asks staging which of the batch's objects already have rows (`_object_key`)
— left by a run that died before its manifest rows, or loaded in a batch of another composition
— and records those instead of loading them again; a single object is checked the same way,
since the batch that loaded it had another token. That check is race-free only if no other load
of the same objects runs at the same time: objects within a run are disjoint, and `dagster.yaml`
gives each log type's load pool (`assets.load_pool`: its staging asset and its replay op) one
run at a time. The batch's token (a digest of its keys) still stops an exact retry.

On a ClickHouse cluster (`OLLIVE_PIPELINE_CLICKHOUSE_CLUSTER`, docs/scale-out.md) the INSERT
still targets the Distributed table, which shards the rows by event id; it runs in the
foreground (`distributed_foreground_insert = 1`), so it returns only once every shard holds its
rows and the token reached each shard's replicated table (whose Keeper-kept tokens refuse a
retry on any replica). Each object then gets its own INSERT and token: the check of staging
before a batch reads whichever replica answers, which may lag the one written, while a token
per object needs no read to stay exactly-once. The cleanup of a partial load deletes from the
replicated tables `ON CLUSTER` (a Distributed table takes no mutation).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from dagster_project.clickhouse.cluster import configured_cluster
from dagster_project.clickhouse.migrate import ensure_schema
from dagster_project.clickhouse.staging_schema import event_columns, mutation_target, s3_structure
from dagster_project.ingestion import manifest
from dagster_project.ingestion.quarantine import is_data_error, quarantine, reason_of
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.object_keys import ObjectKey
from ollive_contract.tables import staging_table

SKIPPED = "skipped"

# Rows that parse but break the contract's required fields fail the whole object (code 395),
# rather than landing as zero UUIDs or empty names.
_REQUIRED: dict[str, str] = {
    "inference": "provider != '' AND model != '' AND status != ''",
    "tool_execution": "tool_name != '' AND status != ''",
    "application": "level != ''",
    "score": "name != '' AND data_type != ''",
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


def insert_settings(cluster: str | None) -> dict[str, Any]:
    """The load INSERT's settings: on a cluster, also a foreground Distributed insert, so the
    acknowledgement means every shard has its rows (a background insert acknowledges first)."""
    if not cluster:
        return INSERT_SETTINGS
    return {**INSERT_SETTINGS, "distributed_foreground_insert": 1}


def delete_object_sql(log_type: str, cluster: str | None) -> str:
    """Takes one object's rows back out of staging (parameter `key`)."""
    target = mutation_target(staging_table(log_type), cluster)
    return f"DELETE FROM {target} WHERE _object_key = {{key:String}}"


def delete_objects_sql(log_type: str, cluster: str | None) -> str:
    """Takes several objects' rows back out of staging (parameter `keys`)."""
    target = mutation_target(staging_table(log_type), cluster)
    return f"DELETE FROM {target} WHERE _object_key IN {{keys:Array(String)}}"


@dataclass(frozen=True)
class Outcome:
    """What happened to one object."""

    object_key: str
    log_type: str
    status: str  # loaded | quarantined | skipped (already in the manifest)
    rows: int = 0
    size: int = 0
    reason: str = ""


# `s3()` reads `dir/{a,b,c}` as three objects; names with glob characters cannot be listed so
_PLAIN_NAME = re.compile(r"^[0-9A-Za-z._=-]+$")


def insert_sql(log_type: str, object_key: str = "{key:String}") -> str:
    """The load statement of a log type; url, credentials and key are query parameters."""
    columns = ", ".join(name for name, _ in event_columns(log_type))
    return (
        f"INSERT INTO {staging_table(log_type)} ({columns}, _object_key)\n"
        f"SELECT {columns}, {object_key}\n"
        f"FROM s3({{url:String}}, {{access_key:String}}, {{secret_key:String}}, 'JSONEachRow',"
        f" {{structure:String}}, 'gzip')\n"
        f"WHERE throwIf(NOT ({_ENVELOPE_REQUIRED} AND {_REQUIRED[log_type]}),"
        f" 'non-conforming event: a required field is missing or empty') = 0"
    )


def load_object(
    client: Any,
    store: ObjectStoreResource,
    key: str,
    size: int,
    run_id: str,
    extra_settings: dict[str, Any] | None = None,
    cluster: str | None = None,
) -> Outcome:
    """Load one object exactly once, or quarantine it; transient errors propagate."""
    try:
        log_type = ObjectKey.parse(key).log_type
    except ValueError as exc:
        return _quarantine(client, store, key, "unknown", str(exc), size, run_id)
    present = _rows_by_key(client, staging_table(log_type), [key]).get(key)
    if present:  # loaded in a batch (another token) whose manifest row is missing
        row = manifest.ManifestRow(key, log_type, manifest.LOADED, present, size, run_id)
        manifest.record(client, [row])
        return Outcome(key, log_type, manifest.LOADED, present, size)
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
            settings={
                **insert_settings(cluster),
                **(extra_settings or {}),
                "insert_deduplication_token": key,
            },
        )
    except Exception as exc:
        if not is_data_error(exc):
            raise
        _remove_partial(client, log_type, key, cluster)
        return _quarantine(client, store, key, log_type, reason_of(exc), size, run_id)
    rows = int(result.summary.get("written_rows", 0))
    manifest.record(
        client, [manifest.ManifestRow(key, log_type, manifest.LOADED, rows, size, run_id)]
    )
    return Outcome(key, log_type, manifest.LOADED, rows, size)


def load_batch(
    client: Any,
    store: ObjectStoreResource,
    log_type: str,
    objects: Sequence[tuple[str, int]],
    run_id: str,
    extra_settings: dict[str, Any] | None = None,
    cluster: str | None = None,
) -> list[Outcome]:
    """Load objects of one hour prefix in one INSERT; see the module docstring for why this is
    exactly-once. A batch with a bad object is loaded again object by object (quarantining it)."""
    sizes = dict(objects)
    table = staging_table(log_type)
    present = _rows_by_key(client, table, list(sizes))
    todo = sorted(k for k in sizes if k not in present)
    loaded: dict[str, int] = {}
    if todo:
        directory = todo[0].rsplit("/", 1)[0]
        names = ",".join(k.rsplit("/", 1)[1] for k in todo)
        digest = hashlib.blake2b("\n".join(todo).encode(), digest_size=16).hexdigest()
        try:
            client.query(
                insert_sql(log_type, "substring(_path, {path_offset:UInt32})"),
                parameters={
                    "path_offset": len(store.bucket) + 2,  # _path is "<bucket>/<key>"
                    "url": store.clickhouse_url(f"{directory}/{{{names}}}"),
                    "access_key": store.access_key,
                    "secret_key": store.secret_key,
                    "structure": s3_structure(log_type),
                },
                settings={
                    **insert_settings(cluster),
                    **(extra_settings or {}),
                    "insert_deduplication_token": f"batch:{digest}",
                },
            )
        except Exception as exc:
            if not is_data_error(exc):
                raise
            if _rows_by_key(client, table, todo):  # blocks written before the bad one
                client.command(delete_objects_sql(log_type, cluster), parameters={"keys": todo})
            return _one_by_one(client, store, objects, run_id, extra_settings, present, cluster)
        loaded = _rows_by_key(client, table, todo)
    rows = {**present, **loaded}
    # a glob skips an object it cannot find; the single path raises for it instead
    missing = [(k, sizes[k]) for k in todo if k not in loaded]
    done = [(k, sizes[k]) for k in sizes if k in rows]
    manifest.record(
        client,
        [manifest.ManifestRow(k, log_type, manifest.LOADED, rows[k], s, run_id) for k, s in done],
    )
    outcomes = [Outcome(k, log_type, manifest.LOADED, rows[k], s) for k, s in done]
    return outcomes + [
        load_object(client, store, k, s, run_id, extra_settings, cluster) for k, s in missing
    ]


def _one_by_one(
    client, store, objects, run_id, extra_settings, present, cluster=None
) -> list[Outcome]:
    outcomes = []
    for key, size in objects:
        if key in present:  # loaded before; only its manifest row was missing
            log_type = ObjectKey.parse(key).log_type
            row = manifest.ManifestRow(key, log_type, manifest.LOADED, present[key], size, run_id)
            manifest.record(client, [row])
            outcomes.append(Outcome(key, log_type, manifest.LOADED, present[key], size))
        else:
            outcomes.append(load_object(client, store, key, size, run_id, extra_settings, cluster))
    return outcomes


# A row's received_at is the arrival its object's key is named after (the key carries the
# object's earliest received_at; the other rows follow within one group commit), so a day either
# side of the keys lets ClickHouse skip every other month and hour of staging instead of reading
# all of `_object_key`, which grows with the table.
_KEY_TIME_SLACK_MS = 86_400_000


def _rows_by_key(client: Any, table: str, keys: list[str]) -> dict[str, int]:
    """Rows staging holds per object key, for the keys that have any."""
    millis = [int(ObjectKey.parse(k).received_at.timestamp() * 1000) for k in keys]
    result = client.query(
        f"SELECT _object_key, count() FROM {table}"
        " WHERE received_at BETWEEN fromUnixTimestamp64Milli({lo:Int64}, 'UTC')"
        " AND fromUnixTimestamp64Milli({hi:Int64}, 'UTC')"
        " AND _object_key IN {keys:Array(String)} GROUP BY _object_key",
        parameters={
            "keys": keys,
            "lo": min(millis) - _KEY_TIME_SLACK_MS,
            "hi": max(millis) + _KEY_TIME_SLACK_MS,
        },
    )
    return {key: int(n) for key, n in result.result_rows}


def _batches(objects: Sequence[tuple[str, int]], size: int) -> list[list[tuple[str, int]]]:
    """Objects grouped by directory (one hour prefix of one log type), `size` at a time;
    objects whose key does not parse or cannot be globbed go alone."""
    groups: dict[str, list[tuple[str, int]]] = defaultdict(list)
    alone: list[list[tuple[str, int]]] = []
    for key, obj_size in objects:
        directory, _, name = key.rpartition("/")
        if size > 1 and _PLAIN_NAME.match(name) and _log_type_or_unknown(key) != "unknown":
            groups[directory].append((key, obj_size))
        else:
            alone.append([(key, obj_size)])
    batches = [g[i : i + size] for g in groups.values() for i in range(0, len(g), size)]
    return batches + alone


def _remove_partial(client: Any, log_type: str, key: str, cluster: str | None = None) -> None:
    """A large object can fail after some blocks were written; take them back out. On a
    cluster without asking first: the read may reach a replica that lags the one written."""
    if cluster or _rows_by_key(client, staging_table(log_type), [key]):
        client.command(delete_object_sql(log_type, cluster), parameters={"key": key})


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
    extra_settings: dict[str, Any] | None = None,
    objects_per_insert: int = 1,
) -> list[Outcome]:
    """Load many (key, size) objects with `parallelism` concurrent INSERTs of up to
    `objects_per_insert` objects each (more than 1 only where no other load of the same
    objects can run concurrently: see the module docstring). On the configured cluster, one
    object per INSERT whatever `objects_per_insert` says (see the module docstring)."""
    cluster = configured_cluster()
    if cluster:
        objects_per_insert = 1
    client = clickhouse.get_client()
    ensure_schema(client, ttl_days, cluster)
    done = manifest.recorded(client, (k for k, _ in objects)) if skip_recorded else set()
    todo = [(k, s) for k, s in objects if k not in done]
    outcomes = [Outcome(k, _log_type_or_unknown(k), SKIPPED, 0, s) for k, s in objects if k in done]
    local = threading.local()
    started, finished = time.monotonic(), 0
    lock = threading.Lock()

    def one(batch: list[tuple[str, int]]) -> list[Outcome]:
        nonlocal finished
        if not hasattr(local, "client"):
            local.client = clickhouse.get_client()
        if len(batch) == 1:
            key, size = batch[0]
            result = [load_object(local.client, store, key, size, run_id, extra_settings, cluster)]
        else:
            log_type = ObjectKey.parse(batch[0][0]).log_type
            result = load_batch(
                local.client, store, log_type, batch, run_id, extra_settings, cluster
            )
        with lock:
            finished += len(batch)
            if progress:
                progress(finished, len(todo), time.monotonic() - started)
        return result

    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="load") as pool:
        for result in pool.map(one, _batches(todo, objects_per_insert)):
            outcomes.extend(result)
    return outcomes


def _log_type_or_unknown(key: str) -> str:
    try:
        return ObjectKey.parse(key).log_type
    except ValueError:
        return "unknown"
