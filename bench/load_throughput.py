"""Benchmark: rows/s from the object store into ClickHouse staging through the Dagster loader.

Starts a private SeaweedFS and embedded ClickHouse server (the stack's own service specs, free
ports, a temporary state dir). Each measured run (`load_tree_run.py`, a child process) encodes
`--events` inference events with the ingest API's own encoder into gzip NDJSON objects of
`--per-object` events (+1 warm-up object), then: the same objects, in the loader's batches and
concurrency, `INSERT … SELECT` into a Null-engine table shaped like staging (the engine's own
parse rate, nothing written); the load with the loader's `load_objects` (`--objects-per-insert`
objects of one hour prefix per `INSERT … SELECT FROM s3()`, as the sensor's runs do; manifest
rows); the merges that follow; a replay pass (dedup). It reports rows/s, the load as a ratio of
the parse-only rate, and the ClickHouse + SeaweedFS CPU seconds per million rows split into
parse (the Null pass), insert (the rest of the load, merges during it included) and the merges
after it. Goals: ≥ 300,000 rows/s; ≥ 0.9 of the Null-table rate.

`--baseline-tree DIR` (a `git worktree add DIR <commit>` checkout) runs the same measurement with
that tree's code (its encoder, staging schema and loader) and this tree's, alternately
(`--alternate` runs each, staging dropped before each run), on the same servers, and adds each
figure's ratio to the baseline. Prints `name: value unit` lines (medians per tree) and writes
bench/results/load_throughput.json.

    uv run python bench/load_throughput.py [--events 1000000] [--baseline-tree /tmp/base]

`--compare` instead loads disjoint slices of the objects with several loader configurations
(`--variants`: parallelism, objects per INSERT, insert settings, parse types) interleaved over
rounds in the same run with merges stopped, and reports each one's rows/s, CPU per row and their
ratios to the first (the baseline), then the CPU of the merges once started again: the machine
is shared, so only same-run ratios mean much.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_common import cpu_seconds, load_stack, put_objects, report

from dagster_project.clickhouse.staging_schema import event_columns
from dagster_project.ingestion import load as load_module
from dagster_project.ingestion.load import load_objects
from dagster_project.ingestion.settings import LoaderSettings
from ollive_contract.tables import STAGING_DATABASE, staging_table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


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


def settle_merges(client, pids: list[int], quiet_s: float = 4, limit_s: float = 300):
    """Wait until no merge has run for `quiet_s`; the CPU seconds and seconds that took."""
    started, cpu_started, quiet_since = time.monotonic(), cpu_seconds(pids), time.monotonic()
    while time.monotonic() - quiet_since < quiet_s and time.monotonic() - started < limit_s:
        time.sleep(0.5)
        if client.query("SELECT count() FROM system.merges").result_rows[0][0]:
            quiet_since = time.monotonic()
    return cpu_seconds(pids) - cpu_started, time.monotonic() - started


def tree_runs(stack, tree: Path, label: str, args: argparse.Namespace) -> dict:
    """One measured load (`load_tree_run.py`) of `tree`'s code in a child process, on a staging
    database dropped first, so each tree creates its own tables and starts from none."""
    client = stack.clickhouse.get_client()
    for database in (STAGING_DATABASE, "bench_scratch"):
        client.command(f"DROP DATABASE IF EXISTS {database} SYNC")
    resources = {
        "store": stack.store.model_dump(exclude_none=True),
        "clickhouse": stack.clickhouse.model_dump(exclude_none=True),
    }
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "OLLIVE_BENCH_LOAD_STACK": json.dumps(resources),
    }
    command = [
        sys.executable,
        str(HERE / "load_tree_run.py"),
        f"--events={args.events}",
        f"--per-object={args.per_object}",
        f"--parallelism={args.parallelism}",
        f"--objects-per-insert={args.objects_per_insert}",
        f"--pids={','.join(map(str, stack.pids))}",
    ]
    print(f"  {label} ({tree})", flush=True)
    with subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE, text=True) as proc:
        result = None
        for line in proc.stdout:
            if line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
            else:
                print(line, end="", flush=True)
    if proc.returncode or result is None:
        raise SystemExit(f"the {label} run failed (exit {proc.returncode})")
    print(
        f"    {result['load_rows_per_s']:,.0f} rows/s, {result['load_vs_parse_only']:.3f}x parse"
        f" only; CPU-s/1M: parse {result['parse_cpu_s_per_1m_rows']:.2f}, insert"
        f" {result['insert_cpu_s_per_1m_rows']:.2f}, merges after"
        f" {result['merges_after_cpu_s_per_1m_rows']:.2f}",
        flush=True,
    )
    return result


def summarise(runs: dict[str, list[dict]]) -> dict:
    """Each figure's median per tree and, with a baseline, this tree's ratio to it."""
    figures: dict = {}
    for label, results in runs.items():
        for key in results[0]:
            figures[f"{label}_{key}"] = round(statistics.median(r[key] for r in results), 3)
    if "baseline" in runs:
        for key in RATIO_FIGURES:
            figures[f"{key}_ratio_to_baseline"] = round(
                figures[f"this_{key}"] / figures[f"baseline_{key}"], 3
            )
    return figures


RATIO_FIGURES = (
    "load_rows_per_s",
    "parse_only_rows_per_s",
    "load_vs_parse_only",
    "parse_cpu_s_per_1m_rows",
    "insert_cpu_s_per_1m_rows",
    "load_cpu_s_per_1m_rows",
    "merges_after_cpu_s_per_1m_rows",
)


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
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        help="a checkout of the code to compare (`git worktree add DIR <commit>`)",
    )
    parser.add_argument(
        "--alternate", type=int, default=None, help="runs per tree (default 2 with a baseline)"
    )
    args = parser.parse_args()
    if args.alternate is None:
        args.alternate = 2 if args.baseline_tree else 1

    if args.compare:
        with load_stack() as stack:
            print(f"writing {args.events:,} events in objects of {args.per_object:,}", flush=True)
            objects = put_objects(stack.store, args.events, args.per_object)
            # one object untimed: the server's first s3() read and first Native insert pay
            # one-off set-up costs (about 2 s) that are not throughput
            load_objects(stack.clickhouse, stack.store, objects[:1], "bench-warmup")
            names = args.variants.split(",")
            figures = compare(stack, objects[1:], args.per_object, args.rounds, names)
        report("load_throughput_compare", figures)
        return
    trees = [("this", ROOT)]
    if args.baseline_tree:
        trees = [("baseline", args.baseline_tree.resolve()), *trees]
    runs: dict[str, list[dict]] = {label: [] for label, _ in trees}
    load_averages = [os.getloadavg()[0]]
    with load_stack() as stack:
        for round_ in range(args.alternate):
            print(f"round {round_ + 1}/{args.alternate}", flush=True)
            for label, tree in trees if round_ % 2 == 0 else reversed(trees):
                runs[label].append(tree_runs(stack, tree, label, args))
                load_averages.append(os.getloadavg()[0])
    figures = summarise(runs)
    figures.update(
        load_average_1m_min=min(load_averages),
        load_average_1m_max=max(load_averages),
        parallelism=args.parallelism,
        objects_per_insert=args.objects_per_insert,
        events_per_object=args.per_object,
        runs_per_tree=args.alternate,
    )
    units = {
        "ratio_to_baseline": "x",
        "rows_per_s": "rows/s",
        "seconds": "s",
        "1m_rows": "CPU-s",
        "load_vs_parse_only": "x",
        "bytes_per_row": "B",
        "raw_line_bytes": "B",
    }
    report("load_throughput", figures, units)


if __name__ == "__main__":
    main()
