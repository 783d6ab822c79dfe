"""Benchmark: where the time of an object load goes, by direct experiments in one run.

Starts a private SeaweedFS and embedded ClickHouse server, writes `--objects` inference objects
of `--per-object` events (the load bench's generator), then times variants of the load
statement over the same objects, each into a scratch table (deduplication off, so every
variant does the same work): through the server vs chDB in-process, with and without the
`throwIf` guard, parse-only (`SELECT count()`), one object per
INSERT vs a list of objects in one INSERT, one vs two INSERTs at once; plus the server's
per-query floor and SeaweedFS GET latency. Prints `name: value unit` lines (rows/s, and each
variant's ratio to the loader's statement) and writes bench/results/load_profile.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_common import ROOT, load_stack, put_objects

from dagster_project.clickhouse.migrate import ensure_schema
from dagster_project.clickhouse.staging_schema import (
    create_staging_table,
    s3_structure,
)
from dagster_project.ingestion.load import INSERT_SETTINGS, insert_sql
from dagster_project.resources.object_store import ObjectStoreResource
from ollive.contract.tables import staging_table

SCRATCH = "bench_scratch.t"


def literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def statement(store: ObjectStoreResource, keys: list[str], *, guard: bool, select: bool) -> str:
    """The loader's INSERT with literals instead of parameters (chDB in-process has none)."""
    sql = insert_sql("inference")
    if len(keys) == 1:
        url = store.clickhouse_url(keys[0])
        key_expr = literal(keys[0])
    else:  # s3()'s {a,b,c} alternation: one INSERT reads several objects
        common = keys[0].rsplit("/", 1)[0]
        names = ",".join(k.rsplit("/", 1)[1] for k in keys)
        url = store.clickhouse_url(f"{common}/{{{names}}}")
        key_expr = "_path"
    sql = (
        sql.replace("{url:String}", literal(url))
        .replace("{access_key:String}", literal(store.access_key))
        .replace("{secret_key:String}", literal(store.secret_key))
        .replace("{structure:String}", literal(s3_structure("inference")))
        .replace("{key:String}", key_expr)
        .replace(staging_table("inference"), SCRATCH)
    )
    if not guard:
        sql = sql[: sql.index("\nWHERE throwIf")]
    if select:
        sql = "SELECT count() FROM (" + sql[sql.index("SELECT") :] + ")"
    return sql


def settings_clause(settings: dict) -> str:
    return " SETTINGS " + ", ".join(
        f"{k} = {literal(v) if isinstance(v, str) else v}" for k, v in settings.items()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=24)
    parser.add_argument("--per-object", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1, help="objects per variant = objects/…")
    args = parser.parse_args()
    figures: dict[str, float] = {}

    with load_stack() as stack:
        store, res, tmp = stack.store, stack.clickhouse, stack.state
        objects = put_objects(store, (args.objects - 1) * args.per_object, args.per_object)
        keys = [k for k, _ in objects]
        client = res.get_client()
        ensure_schema(client, None)
        client.command("CREATE DATABASE IF NOT EXISTS bench_scratch")
        ddl = create_staging_table("inference", None).replace(staging_table("inference"), SCRATCH)
        client.command(ddl.replace("CREATE TABLE IF NOT EXISTS", "CREATE TABLE"))
        no_dedup = {**INSERT_SETTINGS, "insert_deduplicate": 0}

        def server(sql: str, extra: dict | None = None) -> None:
            client.query(sql, settings={**no_dedup, **(extra or {})})

        # warm-up: first s3() read and first insert pay one-off costs
        server(statement(store, keys[:1], guard=True, select=False))

        t0 = time.perf_counter()
        for _ in range(50):
            client.query("SELECT 1")
        figures["server_select1_ms"] = (time.perf_counter() - t0) / 50 * 1000
        s3 = store.client()
        t0 = time.perf_counter()
        for key in keys[:10]:
            s3.get_object(Bucket=store.bucket, Key=key)["Body"].read()
        figures["s3_get_ms"] = (time.perf_counter() - t0) / 10 * 1000

        def timed(name: str, batches: list[list[str]], run, parallel: int = 1) -> None:
            t0 = time.perf_counter()
            if parallel == 1:
                for batch in batches:
                    run(batch)
            else:
                with ThreadPoolExecutor(parallel) as pool:
                    list(pool.map(run, batches))
            seconds = time.perf_counter() - t0
            rows = sum(len(b) for b in batches) * args.per_object
            figures[f"{name}_rows_per_s"] = round(rows / seconds)
            print(f"  {name}: {rows / seconds:,.0f} rows/s", flush=True)

        sample = keys[1:9]  # 8 objects per variant
        singles = [[k] for k in sample]
        timed(
            "server_loader_statement",
            singles,
            lambda b: server(statement(store, b, guard=True, select=False)),
        )
        timed(
            "server_no_guard",
            singles,
            lambda b: server(statement(store, b, guard=False, select=False)),
        )
        timed(
            "server_parse_only",
            singles,
            lambda b: server(statement(store, b, guard=False, select=True)),
        )
        timed(
            "server_list_of_8",
            [sample],
            lambda b: server(statement(store, b, guard=True, select=False)),
        )
        timed(
            "server_2_parallel",
            singles,
            lambda b: res.get_client().query(
                statement(store, b, guard=True, select=False), settings=no_dedup
            ),
            parallel=2,
        )
        timed(
            "server_loader_statement_again",
            singles,
            lambda b: server(statement(store, b, guard=True, select=False)),
        )

        import chdb

        local = chdb.connect(str(Path(tmp) / "inproc"))
        local.query("CREATE DATABASE bench_scratch")
        local.query(ddl.replace("CREATE TABLE IF NOT EXISTS", "CREATE TABLE"))
        clause = settings_clause(no_dedup)
        local.query(statement(store, keys[:1], guard=True, select=False) + clause)
        timed(
            "inproc_loader_statement",
            singles,
            lambda b: local.query(statement(store, b, guard=True, select=False) + clause),
        )
        timed(
            "inproc_parse_only",
            singles,
            lambda b: local.query(statement(store, b, guard=False, select=True) + clause),
        )
        timed(
            "inproc_list_of_8",
            [sample],
            lambda b: local.query(statement(store, b, guard=True, select=False) + clause),
        )
        local.close()

    base = figures["server_loader_statement_rows_per_s"]
    for name, value in list(figures.items()):
        if name.endswith("_rows_per_s"):
            figures[name.replace("_rows_per_s", "_ratio")] = round(value / base, 2)
    for name, value in figures.items():
        unit = "rows/s" if name.endswith("rows_per_s") else "ms" if name.endswith("_ms") else "x"
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"{name}: {shown} {unit}")
    out = ROOT / "bench" / "results" / "load_profile.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
