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
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_common import ROOT, cpu_seconds, load_stack, put_objects

from dagster_project.ingestion.load import load_objects
from ollive.contract.tables import staging_table

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

    with load_stack() as stack:
        store, ch_res, pids = stack.store, stack.clickhouse, stack.pids
        print(f"writing {args.events:,} events in objects of {args.per_object:,}", flush=True)
        objects = put_objects(store, args.events, args.per_object)

        def progress(done: int, total: int, elapsed: float) -> None:
            if done == total or done % max(1, total // 10) == 0:
                print(f"  loaded {done}/{total} objects ({elapsed:.1f}s)", flush=True)

        # one object untimed: the server's first s3() read and first Native insert pay
        # one-off set-up costs (about 2 s) that are not throughput
        load_objects(ch_res, store, objects[:1], "bench-warmup")
        objects = objects[1:]
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
