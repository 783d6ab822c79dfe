"""Benchmark: rows/s from the object store into ClickHouse staging through the Dagster loader.

Starts a private SeaweedFS and embedded ClickHouse server (the stack's own service specs, free
ports, a temporary state dir), writes `--events` inference events (+1 warm-up object) as gzip
NDJSON objects of `--per-object` events, then loads them with the loader's `load_objects`
(`--objects-per-insert` objects of one hour prefix per `INSERT … SELECT FROM s3()`, as the
sensor's runs do; manifest rows) and reports rows/s and the ClickHouse + SeaweedFS CPU seconds
per million rows. A second pass over the same objects measures the replay (dedup) path. Prints
`name: value unit` lines and writes bench/results/load_throughput.json. Goal: ≥ 300,000 rows/s.

`--compare` instead loads disjoint slices of the objects with several loader configurations
(parallelism, objects per INSERT, insert settings) interleaved over rounds in the same run, and
reports each one's rows/s, CPU per row and ratio to the first (the baseline): the machine is
shared, so only same-run ratios mean much.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dagster_project.ingestion.load import load_objects  # noqa: E402
from dagster_project.resources.clickhouse import ClickHouseResource  # noqa: E402
from dagster_project.resources.object_store import ObjectStoreResource  # noqa: E402
from ollive.contract.events import EVENT_ADAPTER  # noqa: E402
from ollive.contract.object_keys import ObjectKey  # noqa: E402
from ollive.contract.tables import staging_table  # noqa: E402
from ollive.settings import OlliveSettings  # noqa: E402
from ollive.stack.ports import free_ports  # noqa: E402
from ollive.stack.services import clickhouse, s3_credentials, seaweedfs  # noqa: E402
from ollive.stack.supervisor import Supervisor  # noqa: E402
from tests.fixtures.raw_objects import make_event  # noqa: E402


def template(n: int, received_at: datetime) -> list[dict]:
    """`n` stored-line dicts built once from the contract models; objects reuse them."""
    docs = []
    for i in range(n):
        doc = EVENT_ADAPTER.dump_python(make_event("inference", received_at, i), mode="json")
        doc.update(
            received_at=received_at.isoformat(),
            project_id="bench",
            pii_detected=False,
            pii_entities=[],
            schema_version=1,
        )
        docs.append(doc)
    return docs


def put_objects(store: ObjectStoreResource, events: int, per_object: int) -> list[tuple[str, int]]:
    now = datetime.now(UTC)
    docs = template(per_object, now)
    s3 = store.client()
    count = (events + per_object - 1) // per_object + 1  # +1: the warm-up object

    def one(i: int) -> tuple[str, int]:
        for doc in docs:  # fresh event ids per object, so distinct counts mean something
            doc["event_id"] = str(uuid.uuid4())
        body = gzip.compress(
            b"".join(orjson.dumps(d, option=orjson.OPT_APPEND_NEWLINE) for d in docs),
            compresslevel=1,
        )
        key = str(ObjectKey.new("inference", now))
        s3.put_object(Bucket=store.bucket, Key=key, Body=body)
        return key, len(body)

    objects = []
    started = time.monotonic()
    for i in range(count):  # sequential: the template is mutated per object
        objects.append(one(i))
        if (i + 1) % max(1, count // 10) == 0:
            print(
                f"  wrote {i + 1}/{count} objects ({time.monotonic() - started:.1f}s)", flush=True
            )
    return objects


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of `pids` (and their reaped children), from /proc."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


# (name, parallelism, objects per INSERT, extra insert settings); the first is the baseline
VARIANTS: list[tuple[str, int, int, dict]] = [
    ("p4_single", 4, 1, {}),  # the loader before batching: one object per INSERT
    ("p4_batch8", 4, 8, {}),
    ("p2_batch8", 2, 8, {}),
    ("p2_single", 2, 1, {}),
    ("p4_batch8_serial_parse", 4, 8, {"input_format_parallel_parsing": 0, "max_threads": 1}),
]


def compare(ch_res, store, objects, per_object: int, rounds: int, pids: list[int]) -> dict:
    """Each variant loads its own slices of `objects`, round-robin, so noise hits all alike."""
    slices = len(VARIANTS) * rounds
    size = len(objects) // slices
    seconds = dict.fromkeys((v[0] for v in VARIANTS), 0.0)
    rows = dict.fromkeys(seconds, 0)
    cpu = dict.fromkeys(seconds, 0.0)
    for r in range(rounds):
        for i, (name, parallelism, per_insert, extra) in enumerate(VARIANTS):
            part = objects[(r * len(VARIANTS) + i) * size : (r * len(VARIANTS) + i + 1) * size]
            started, cpu_started = time.monotonic(), cpu_seconds(pids)
            outcomes = load_objects(
                ch_res,
                store,
                part,
                f"bench-{name}",
                parallelism=parallelism,
                extra_settings=extra,
                objects_per_insert=per_insert,
            )
            seconds[name] += time.monotonic() - started
            cpu[name] += cpu_seconds(pids) - cpu_started
            rows[name] += sum(o.rows for o in outcomes)
            print(f"  round {r + 1} {name}: {rows[name] / seconds[name]:,.0f} rows/s", flush=True)
    base = rows[VARIANTS[0][0]] / seconds[VARIANTS[0][0]]
    figures: dict = {"events_per_object": per_object, "objects_per_variant": size * rounds}
    for name in seconds:
        figures[f"{name}_rows_per_s"] = round(rows[name] / seconds[name])
        figures[f"{name}_ratio"] = round(rows[name] / seconds[name] / base, 2)
        figures[f"{name}_server_cpu_s_per_1m_rows"] = round(cpu[name] / rows[name] * 1e6, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-object", type=int, default=10_000)
    parser.add_argument("--parallelism", type=int, default=4)
    parser.add_argument("--objects-per-insert", type=int, default=8)
    parser.add_argument("--compare", action="store_true", help="loader variants, same run")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ollive-bench-") as tmp:
        s3p, master, volume, filer, ch = free_ports(5)
        settings = OlliveSettings(
            state_dir=Path(tmp),
            s3_port=s3p,
            seaweedfs_master_port=master,
            seaweedfs_volume_port=volume,
            seaweedfs_filer_port=filer,
            clickhouse_port=ch,
        )
        supervisor = Supervisor(settings.state_path, settings.host)
        supervisor.up([seaweedfs(settings), clickhouse(settings)], report=lambda _: None)
        try:
            creds = s3_credentials(settings)
            store = ObjectStoreResource(
                endpoint=creds.endpoint,
                access_key=creds.access_key,
                secret_key=creds.secret_key,
                bucket=creds.bucket,
            )
            ch_res = ClickHouseResource(
                host=settings.clickhouse_host,
                port=settings.clickhouse_port,
                username=settings.clickhouse_user,
                password=settings.clickhouse_password.get_secret_value(),
            )
            print(f"writing {args.events:,} events in objects of {args.per_object:,}", flush=True)
            objects = put_objects(store, args.events, args.per_object)

            def progress(done: int, total: int, elapsed: float) -> None:
                if done == total or done % max(1, total // 10) == 0:
                    print(f"  loaded {done}/{total} objects ({elapsed:.1f}s)", flush=True)

            # one object untimed: the server's first s3() read and first Native insert pay
            # one-off set-up costs (about 2 s) that are not throughput
            load_objects(ch_res, store, objects[:1], "bench-warmup")
            objects = objects[1:]
            pids = [supervisor.running(n).pid for n in ("clickhouse", "seaweedfs")]
            if args.compare:
                figures = compare(ch_res, store, objects, args.per_object, args.rounds, pids)
                for name, value in figures.items():
                    print(f"{name}: {value}")
                out = ROOT / "bench" / "results" / "load_throughput_compare.json"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(figures, indent=2))
                return
            started, cpu_started = time.monotonic(), cpu_seconds(pids)
            outcomes = load_objects(
                ch_res,
                store,
                objects,
                "bench",
                parallelism=args.parallelism,
                progress=progress,
                objects_per_insert=args.objects_per_insert,
            )
            load_s = time.monotonic() - started
            load_cpu_s = cpu_seconds(pids) - cpu_started
            rows = sum(o.rows for o in outcomes)
            assert all(o.status == "loaded" for o in outcomes), "an object failed to load"

            started = time.monotonic()
            load_objects(
                ch_res,
                store,
                objects,
                "bench-replay",
                parallelism=args.parallelism,
                skip_recorded=False,
            )
            replay_s = time.monotonic() - started
            staged = (
                ch_res.get_client()
                .query(f"SELECT count(), uniqExact(event_id) FROM {staging_table('inference')}")
                .result_rows[0]
            )
        finally:
            supervisor.down(report=lambda _: None)

    figures = {
        "load_rows": rows,
        "load_objects": len(objects),
        "load_seconds": round(load_s, 2),
        "load_rows_per_s": round(rows / load_s),
        # CPU of the ClickHouse server and SeaweedFS per million rows: what the load costs
        # whatever else shares the machine; 2 idle cores would give at most 2 / that.
        "server_cpu_s_per_1m_rows": round(load_cpu_s / rows * 1e6, 1),
        "cpu_bound_rows_per_s_on_2_idle_cores": round(2 * rows / load_cpu_s),
        "load_average_1m": os.getloadavg()[0],
        "replay_dedup_seconds": round(replay_s, 2),
        "staged_rows_after_replay": staged[0],
        "staged_distinct_event_ids": staged[1],
        "parallelism": args.parallelism,
        "objects_per_insert": args.objects_per_insert,
        "events_per_object": args.per_object,
    }
    units = {"load_rows_per_s": "rows/s", "load_seconds": "s", "replay_dedup_seconds": "s"}
    for name, value in figures.items():
        print(f"{name}: {value} {units.get(name, '')}".rstrip())
    out = ROOT / "bench" / "results" / "load_throughput.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
