"""One measured load of one checkout's code, run by `load_throughput.py` in a child process.

`load_throughput.py` starts this file with `PYTHONPATH=<tree>` and `cwd=<tree>`, so every
product module imported here (the ingest API's encoder, the staging schema, the loader) is that
tree's: the same script measures the code before a change (`--baseline-tree`) and after it, on
the same running SeaweedFS and ClickHouse server. It imports nothing from `bench/`, whose
helpers may differ between trees.

It encodes `--events` inference events with the tree's `to_record` (the stored line as the
ingest API writes it) into gzip objects of `--per-object` events, loads one object untimed
(first-use costs), parses the rest into a Null-engine table shaped like staging (the engine's
own parse rate, same batches and concurrency as the loader), loads them with the tree's
`load_objects`, waits for the merges that follow, and replays them once (every object looked up,
none copied). Prints one `RESULT {json}` line. The stack's endpoints and credentials come in
the environment variable `OLLIVE_BENCH_LOAD_STACK` (JSON), never on the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from dagster_project.ingestion import load as load_module
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ingest_api.intake.records import to_record
from ollive.synthetic_events import make_event, uuid7
from ollive_contract.object_keys import ObjectKey
from ollive_contract.settings import IngestSettings
from ollive_contract.tables import staging_table

NULL_TABLE = "bench_scratch.parse_only"
_EVENT_ID = re.compile(rb'"event_id":"[0-9a-f-]{36}"')
_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of `pids` (all threads) and of the children they reaped."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as f:
            total += sum(int(v) for v in f.read().rsplit(")", 1)[1].split()[11:15])
    return total / _TICK


def stored_lines(per_object: int, now: datetime) -> list[bytes]:
    """`per_object` stored lines, encoded by the tree's ingest API (PII redaction off)."""
    counts: Counter[str] = Counter()
    return [
        to_record(
            make_event("inference", now, i),
            received_at=now,
            project_id="bench",
            redactor=None,
            entity_counts=counts,
        )
        for i in range(per_object)
    ]


def put_objects(store: ObjectStoreResource, events: int, per_object: int) -> list[tuple[str, int]]:
    """`events` events (+1 warm-up object) in gzip objects, fresh UUIDv7 event ids in each,
    at the ingest API's gzip level."""
    now = datetime.now(UTC)
    lines = stored_lines(per_object, now)
    level = IngestSettings().gzip_level
    s3 = store.client()
    count = (events + per_object - 1) // per_object + 1
    objects = []
    for i in range(count):
        body = b"".join(
            _EVENT_ID.sub(f'"event_id":"{uuid7(now)}"'.encode(), line, count=1) for line in lines
        )
        gz = gzip.compress(body, compresslevel=level, mtime=0)
        key = str(ObjectKey.new("inference", now))
        s3.put_object(Bucket=store.bucket, Key=key, Body=gz)
        objects.append((key, len(gz)))
        if (i + 1) % max(1, count // 5) == 0:
            print(f"    wrote {i + 1}/{count} objects", flush=True)
    return objects


def null_pass(ch: ClickHouseResource, store, objects, parallelism: int, per_insert: int) -> float:
    """Parse `objects` into a Null table with the tree's load statement and settings, batched
    as the loader batches them; returns the seconds taken."""
    client = ch.get_client()
    table = staging_table("inference")
    client.command("CREATE DATABASE IF NOT EXISTS bench_scratch")
    client.command(f"CREATE TABLE IF NOT EXISTS {NULL_TABLE} AS {table} ENGINE = Null")
    settings = {**load_module.INSERT_SETTINGS, "insert_deduplicate": 0}
    local = threading.local()

    def one(batch: list[tuple[str, int]]) -> None:
        if not hasattr(local, "client"):
            local.client = ch.get_client()
        keys = sorted(k for k, _ in batch)
        directory = keys[0].rsplit("/", 1)[0]
        names = ",".join(k.rsplit("/", 1)[1] for k in keys)
        sql = load_module.insert_sql("inference", "substring(_path, {path_offset:UInt32})")
        local.client.query(
            sql.replace(table, NULL_TABLE),
            parameters={
                "path_offset": len(store.bucket) + 2,
                "url": store.clickhouse_url(f"{directory}/{{{names}}}"),
                "access_key": store.access_key,
                "secret_key": store.secret_key,
                "structure": load_module.s3_structure("inference"),
            },
            settings=settings,
        )

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        list(pool.map(one, load_module._batches(objects, per_insert)))
    return time.monotonic() - started


def settle_merges(client, pids: list[int], quiet_s: float = 4, limit_s: float = 300):
    """Wait until no merge has run for `quiet_s`; the CPU seconds and seconds that took."""
    started, cpu_started, quiet_since = time.monotonic(), cpu_seconds(pids), time.monotonic()
    while time.monotonic() - quiet_since < quiet_s and time.monotonic() - started < limit_s:
        time.sleep(0.5)
        if client.query("SELECT count() FROM system.merges").result_rows[0][0]:
            quiet_since = time.monotonic()
    return cpu_seconds(pids) - cpu_started, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--per-object", type=int, required=True)
    parser.add_argument("--parallelism", type=int, required=True)
    parser.add_argument("--objects-per-insert", type=int, required=True)
    parser.add_argument("--pids", required=True, help="comma-separated: whose CPU a load costs")
    args = parser.parse_args()
    stack = json.loads(os.environ["OLLIVE_BENCH_LOAD_STACK"])
    store = ObjectStoreResource(**stack["store"])
    ch = ClickHouseResource(**stack["clickhouse"])
    pids = [int(p) for p in args.pids.split(",")]
    options = {"parallelism": args.parallelism, "objects_per_insert": args.objects_per_insert}

    objects = put_objects(store, args.events, args.per_object)
    raw_bytes = sum(len(line) for line in stored_lines(10, datetime.now(UTC))) / 10
    load_module.load_objects(ch, store, objects[:1], "bench-warmup")
    objects = objects[1:]

    cpu0 = cpu_seconds(pids)
    null_s = null_pass(ch, store, objects, args.parallelism, args.objects_per_insert)
    null_cpu = cpu_seconds(pids) - cpu0
    load_average_before = os.getloadavg()[0]
    started, cpu0 = time.monotonic(), cpu_seconds(pids)
    outcomes = load_module.load_objects(ch, store, objects, "bench", **options)
    load_s, load_cpu = time.monotonic() - started, cpu_seconds(pids) - cpu0
    load_average_after = os.getloadavg()[0]
    assert all(o.status == "loaded" for o in outcomes), "an object failed to load"
    rows = sum(o.rows for o in outcomes)
    client = ch.get_client()
    merge_cpu, merge_s = settle_merges(client, pids)
    started = time.monotonic()
    load_module.load_objects(ch, store, objects, "bench-replay", skip_recorded=False, **options)
    replay_s = time.monotonic() - started
    staged, distinct = client.query(
        f"SELECT count(), uniqExact(event_id) FROM {staging_table('inference')}"
    ).result_rows[0]
    assert staged == distinct == rows + args.per_object, "rows lost, doubled, or replayed"
    parts = client.query(
        "SELECT count(), sum(data_compressed_bytes) FROM system.parts WHERE active"
        " AND database = {db:String} AND table = {t:String}",
        parameters=dict(zip(("db", "t"), staging_table("inference").split("."), strict=True)),
    ).result_rows[0]
    per_1m = 1e6 / rows
    print(
        "RESULT "
        + json.dumps(
            {
                "rows": rows,
                "raw_line_bytes": round(raw_bytes),
                "object_bytes_per_row": round(sum(s for _, s in objects) / rows, 1),
                "parse_only_rows_per_s": rows / null_s,
                "load_rows_per_s": rows / load_s,
                "load_vs_parse_only": null_s / load_s,
                "parse_cpu_s_per_1m_rows": null_cpu * per_1m,
                "insert_cpu_s_per_1m_rows": (load_cpu - null_cpu) * per_1m,
                "load_cpu_s_per_1m_rows": load_cpu * per_1m,
                "merges_after_cpu_s_per_1m_rows": merge_cpu * per_1m,
                "merges_after_seconds": merge_s,
                "replay_dedup_seconds": replay_s,
                "staging_parts_after_merges": parts[0],
                "staging_bytes_per_row": parts[1] / (rows + args.per_object),
                "load_average_1m_before": load_average_before,
                "load_average_1m_after": load_average_after,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
