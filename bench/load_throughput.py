"""Benchmark: rows/s from the object store into ClickHouse staging through the Dagster loader.

Starts a private SeaweedFS and embedded ClickHouse server (the stack's own service specs, free
ports, a temporary state dir), writes `--events` inference events (+1 warm-up object) as gzip
NDJSON objects of `--per-object` events, then loads them with the loader's `load_objects`
(`--objects-per-insert` objects of one hour prefix per `INSERT … SELECT FROM s3()`, as the
sensor's runs do; manifest rows) and reports rows/s and the ClickHouse + SeaweedFS CPU seconds
per million rows. Before the load, the same objects in the same batches and concurrency are
`INSERT … SELECT` into a Null-engine table (the engine's own parse rate, nothing written): the
load's rows/s is reported as a ratio to it, and its CPU split into parse (the Null pass), insert
(the rest of the load) and the merges that follow. A second pass over the same objects measures
the replay (dedup) path. Prints `name: value unit` lines and writes
bench/results/load_throughput.json. Goals: ≥ 300,000 rows/s; ≥ 0.9 of the Null-table rate.

`--compare` instead loads disjoint slices of the objects with several loader configurations
(`--variants`: parallelism, objects per INSERT, insert settings, parse types) interleaved over
rounds in the same run with merges stopped, and reports each one's rows/s, CPU per row and their
ratios to the first (the baseline), then the CPU of the merges once started again: the machine
is shared, so only same-run ratios mean much.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_common import cpu_seconds, load_stack, put_objects, report
from load_profile import statement

from dagster_project.clickhouse.staging_schema import event_columns
from dagster_project.ingestion import load as load_module
from dagster_project.ingestion.load import load_objects
from dagster_project.ingestion.settings import LoaderSettings
from ollive_contract.tables import staging_table


@dataclass(frozen=True)
class Variant:
    """A loader configuration `--compare` measures."""

    parallelism: int = LoaderSettings().load_parallelism  # concurrent INSERTs
    per_insert: int = LoaderSettings().objects_per_insert  # objects per INSERT
    settings: dict = field(default_factory=dict)  # extra insert settings
    table_types: bool = False  # parse into the table's own types (LowCardinality and all)


VARIANTS: dict[str, Variant] = {
    # the loader before parse types dropped LowCardinality (dagster_project/clickhouse) and
    # before 32 objects per INSERT
    "table_types": Variant(per_insert=8, table_types=True),
    "batch8": Variant(per_insert=8),  # plain parse types, 8 objects per INSERT
    "now": Variant(),  # the loader's defaults: 32 objects per INSERT, 4 concurrent
    "p2": Variant(parallelism=2),
    "single": Variant(per_insert=1),
    "batch16": Variant(per_insert=16),
    "serial_parse": Variant(settings={"input_format_parallel_parsing": 0, "max_threads": 1}),
    "no_parallel_parsing": Variant(settings={"input_format_parallel_parsing": 0}),
    "insert_threads1": Variant(settings={"max_insert_threads": 1}),
}
DEFAULT_COMPARE = "table_types,batch8,now"


@contextlib.contextmanager
def parse_types(table_types: bool) -> Iterator[None]:
    """Have the loader parse into the staging table's own column types (the old way)."""
    if not table_types:
        yield
        return
    real = load_module.s3_structure
    load_module.s3_structure = lambda lt: ", ".join(f"{n} {t}" for n, t in event_columns(lt))
    try:
        yield
    finally:
        load_module.s3_structure = real


def compare(stack, objects, per_object: int, rounds: int, names: list[str]) -> dict:
    """Each variant loads its own slices of `objects`, round-robin, so noise hits all alike.
    Merges are stopped meanwhile (a merge of one variant's parts would bill another), then
    measured once for all."""
    client = stack.clickhouse.get_client()
    client.command(f"SYSTEM STOP MERGES {staging_table('inference')}")
    size = len(objects) // (len(names) * rounds)
    seconds = dict.fromkeys(names, 0.0)
    rows = dict.fromkeys(names, 0)
    cpu = dict.fromkeys(names, 0.0)
    load_averages = [os.getloadavg()[0]]
    for r in range(rounds):
        for i, name in enumerate(names):
            v = VARIANTS[name]
            part = objects[(r * len(names) + i) * size : (r * len(names) + i + 1) * size]
            started, cpu_started = time.monotonic(), cpu_seconds(stack.pids)
            with parse_types(v.table_types):
                outcomes = load_objects(
                    stack.clickhouse,
                    stack.store,
                    part,
                    f"bench-{name}",
                    parallelism=v.parallelism,
                    extra_settings=v.settings,
                    objects_per_insert=v.per_insert,
                )
            seconds[name] += time.monotonic() - started
            cpu[name] += cpu_seconds(stack.pids) - cpu_started
            rows[name] += sum(o.rows for o in outcomes)
            assert all(o.status == "loaded" for o in outcomes), "an object failed to load"
            print(f"  round {r + 1} {name}: {rows[name] / seconds[name]:,.0f} rows/s", flush=True)
        load_averages.append(os.getloadavg()[0])
    client.command(f"SYSTEM START MERGES {staging_table('inference')}")
    merge_cpu_s, _ = settle_merges(client, stack.pids)
    base_rate = rows[names[0]] / seconds[names[0]]
    base_cpu = cpu[names[0]] / rows[names[0]]
    figures: dict = {"events_per_object": per_object, "objects_per_variant": size * rounds}
    for name in names:
        figures[f"{name}_rows_per_s"] = round(rows[name] / seconds[name])
        figures[f"{name}_ratio"] = round(rows[name] / seconds[name] / base_rate, 2)
        figures[f"{name}_server_cpu_s_per_1m_rows"] = round(cpu[name] / rows[name] * 1e6, 2)
        figures[f"{name}_cpu_ratio"] = round(cpu[name] / rows[name] / base_cpu, 2)
    figures["merges_after_cpu_s_per_1m_rows"] = round(merge_cpu_s / sum(rows.values()) * 1e6, 2)
    figures["load_average_1m_min"] = min(load_averages)
    figures["load_average_1m_max"] = max(load_averages)
    return figures


NULL_TABLE = "bench_scratch.parse_only"


def null_pass(stack, objects, parallelism: int, per_insert: int) -> tuple[float, float]:
    """Seconds and server CPU seconds to parse `objects` into a Null table, batched as the
    loader batches them (`per_insert` objects per INSERT, `parallelism` at once)."""
    client = stack.clickhouse.get_client()
    client.command("CREATE DATABASE IF NOT EXISTS bench_scratch")
    client.command(
        f"CREATE TABLE IF NOT EXISTS {NULL_TABLE} AS {staging_table('inference')} ENGINE = Null"
    )
    batches = [[k for k, _ in b] for b in load_module._batches(objects, per_insert)]
    local = threading.local()

    def one(keys: list[str]) -> None:
        if not hasattr(local, "client"):
            local.client = stack.clickhouse.get_client()
        local.client.query(
            statement(stack.store, keys, table=NULL_TABLE),
            settings={**load_module.INSERT_SETTINGS, "insert_deduplicate": 0},
        )

    started, cpu_started = time.monotonic(), cpu_seconds(stack.pids)
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        list(pool.map(one, batches))
    return time.monotonic() - started, cpu_seconds(stack.pids) - cpu_started


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
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-object", type=int, default=10_000)
    defaults = LoaderSettings()
    parser.add_argument("--parallelism", type=int, default=defaults.load_parallelism)
    parser.add_argument("--objects-per-insert", type=int, default=defaults.objects_per_insert)
    parser.add_argument("--compare", action="store_true", help="loader variants, same run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--variants",
        default=DEFAULT_COMPARE,
        help=f"comma-separated, the first is the baseline; of {', '.join(VARIANTS)}",
    )
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
            names = args.variants.split(",")
            figures = compare(stack, objects, args.per_object, args.rounds, names)
            report("load_throughput_compare", figures)
            return
        options = {"parallelism": args.parallelism, "objects_per_insert": args.objects_per_insert}
        print("parsing the same objects into a Null table", flush=True)
        null_s, null_cpu_s = null_pass(stack, objects, args.parallelism, args.objects_per_insert)
        load_average_before = os.getloadavg()[0]
        started, cpu_started = time.monotonic(), cpu_seconds(pids)
        outcomes = load_objects(ch_res, store, objects, "bench", progress=progress, **options)
        load_s = time.monotonic() - started
        load_cpu_s = cpu_seconds(pids) - cpu_started
        rows = sum(o.rows for o in outcomes)
        assert all(o.status == "loaded" for o in outcomes), "an object failed to load"
        load_average = os.getloadavg()[0]
        merge_cpu_s, merge_s = settle_merges(ch_res.get_client(), pids)

        started = time.monotonic()
        # a replay with ignore_manifest: every object is looked up, none copied
        load_objects(ch_res, store, objects, "bench-replay", skip_recorded=False, **options)
        replay_s = time.monotonic() - started
        staged = (
            ch_res.get_client()
            .query(f"SELECT count(), uniqExact(event_id) FROM {staging_table('inference')}")
            .result_rows[0]
        )

    figures = {
        "parse_only_rows_per_s": round(rows / null_s),
        "load_vs_parse_only": round(null_s / load_s, 3),
        "parse_cpu_s_per_1m_rows": round(null_cpu_s / rows * 1e6, 2),
        "insert_cpu_s_per_1m_rows": round((load_cpu_s - null_cpu_s) / rows * 1e6, 2),
        "load_average_1m_before": load_average_before,
        "load_rows": rows,
        "load_objects": len(objects),
        "load_seconds": round(load_s, 2),
        "load_rows_per_s": round(rows / load_s),
        # CPU of the ClickHouse server and SeaweedFS per million rows: what the load costs
        # whatever else shares the machine; 2 idle cores would give at most 2 / that.
        "server_cpu_s_per_1m_rows": round(load_cpu_s / rows * 1e6, 2),
        "cpu_bound_rows_per_s_on_2_idle_cores": round(2 * rows / load_cpu_s),
        "load_average_1m": load_average,
        # the merges still running when the last INSERT returned, until none has run for 4 s
        "merges_after_load_cpu_s_per_1m_rows": round(merge_cpu_s / rows * 1e6, 2),
        "merges_after_load_seconds": round(merge_s, 1),
        "cpu_bound_rows_per_s_on_2_idle_cores_incl_merges": round(
            2 * rows / (load_cpu_s + merge_cpu_s)
        ),
        "replay_dedup_seconds": round(replay_s, 2),
        "staged_rows_after_replay": staged[0],
        "staged_distinct_event_ids": staged[1],
        "parallelism": args.parallelism,
        "objects_per_insert": args.objects_per_insert,
        "events_per_object": args.per_object,
    }
    assert staged[0] == staged[1] == rows + args.per_object, "the replay pass copied rows"
    units = {
        "rows_per_s": "rows/s",
        "load_seconds": "s",
        "replay_dedup_seconds": "s",
        "1m_rows": "CPU-s",
        "load_vs_parse_only": "x",
    }
    report("load_throughput", figures, units)


if __name__ == "__main__":
    main()
