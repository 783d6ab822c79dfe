"""Benchmark: where the CPU of an object load goes, by direct experiments in one run.

Starts a private SeaweedFS and embedded ClickHouse server, writes `--objects` inference objects
of `--per-object` events (the load bench's generator), then runs variants of the load statement
over the same 8 objects, `--repeat` times each, into a scratch table with merges stopped and
deduplication off (so every variant does the same work): the loader's 8-object INSERT; the same
parsing into the table's own types (LowCardinality, as before `staging_schema.parse_type`);
into a Null-engine table (parse and type conversion, nothing written); without the `throwIf`
guard; one object per INSERT; two INSERTs at once; chDB in-process; gzip decompression alone;
the structure in the objects' field order instead of the table's column order (tried, not
adopted: no difference beyond noise); objects written with null fields (as the API wrote them
before it left them out).
Then the merge of the scratch table's parts into one, and the loader's "already has rows" lookup
(`load._rows_by_key`) against a full scan of `_object_key` on the scratch table grown with older
arrivals. Prints `name: value unit` lines (rows/s, ClickHouse + SeaweedFS CPU seconds per
million rows, and each variant's CPU ratio to the loader's statement) and writes
bench/results/load_profile.json.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_common import cpu_seconds, load_stack, put_objects, report

from dagster_project.clickhouse.migrate import ensure_schema
from dagster_project.clickhouse.staging_schema import (
    create_staging_table,
    event_columns,
    parse_type,
    s3_structure,
)
from dagster_project.ingestion import load as load_module
from dagster_project.ingestion.load import INSERT_SETTINGS, insert_sql
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import InferenceEvent, ServerFields
from ollive_contract.tables import staging_table

SCRATCH = "bench_scratch.t"
NULL_TABLE = "bench_scratch.null"
UNITS = {"rows_per_s": "rows/s", "_ms": "ms", "_ratio": "x", "1m_rows": "CPU-s"}


def literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def statement(
    store: ObjectStoreResource,
    keys: list[str],
    *,
    guard: bool = True,
    table: str = SCRATCH,
    table_types: bool = False,
    wire_order: bool = False,
) -> str:
    """The loader's INSERT with literals instead of parameters (chDB in-process has none)."""
    sql = insert_sql("inference")
    structure = (
        ", ".join(f"{n} {t}" for n, t in event_columns("inference"))
        if table_types
        else ", ".join(f"{n} {parse_type(t)}" for n, t in _in_wire_order("inference"))
        if wire_order
        else s3_structure("inference")
    )
    if len(keys) == 1:
        url = store.clickhouse_url(keys[0])
        key_expr = literal(keys[0])
    else:  # s3()'s {a,b,c} alternation: one INSERT reads several objects
        common = keys[0].rsplit("/", 1)[0]
        names = ",".join(k.rsplit("/", 1)[1] for k in keys)
        url = store.clickhouse_url(f"{common}/{{{names}}}")
        key_expr = f"substring(_path, {len(store.bucket) + 2})"  # _path: "<bucket>/<key>"
    sql = (
        sql.replace("{url:String}", literal(url))
        .replace("{access_key:String}", literal(store.access_key))
        .replace("{secret_key:String}", literal(store.secret_key))
        .replace("{structure:String}", literal(structure))
        .replace("{key:String}", key_expr)
        .replace(staging_table("inference"), table)
    )
    if not guard:
        sql = sql[: sql.index("\nWHERE throwIf")]
    return sql


def _in_wire_order(log_type: str) -> list[tuple[str, str]]:
    """The event columns in the order the ingest API writes the fields of a stored line."""
    order = [*InferenceEvent.model_fields, *ServerFields.model_fields]
    at = {name: i for i, name in enumerate(order)}
    return sorted(event_columns(log_type), key=lambda column: at.get(column[0], len(at)))


def gunzip_only(store: ObjectStoreResource, keys: list[str]) -> str:
    """Read the objects' lines without parsing them: the cost of the GETs and gzip."""
    common = keys[0].rsplit("/", 1)[0]
    names = ",".join(k.rsplit("/", 1)[1] for k in keys)
    url = store.clickhouse_url(f"{common}/{{{names}}}")
    return (
        f"SELECT sum(length(line)) FROM s3({literal(url)}, {literal(store.access_key)},"
        f" {literal(store.secret_key)}, 'LineAsString', 'line String', 'gzip') FORMAT Null"
    )


def lookup(client, keys: list[str], figures: dict, cpu, older_days: int = 10) -> None:
    """The loader's lookup of 8 keys vs a full scan of `_object_key`, on the scratch table grown
    with `older_days` copies of its rows at older arrivals (5 months back)."""
    for day in range(1, older_days + 1):
        client.command(
            f"INSERT INTO {SCRATCH} SELECT * REPLACE (received_at - INTERVAL {day * 15} DAY AS"
            f" received_at, concat(_object_key, '-{day}') AS _object_key)"
            f" FROM (SELECT * FROM {SCRATCH} WHERE received_at > now() - INTERVAL 1 DAY)",
            settings={"insert_deduplicate": 0},
        )
    figures["lookup_table_rows"] = client.query(f"SELECT count() FROM {SCRATCH}").result_rows[0][0]
    no_cache = {"use_query_condition_cache": 0}  # each real lookup has new keys
    full = (
        f"SELECT _object_key, count() FROM {SCRATCH}"
        " WHERE _object_key IN {keys:Array(String)} GROUP BY _object_key"
    )
    for name, run in (
        ("full_scan", lambda: client.query(full, parameters={"keys": keys}, settings=no_cache)),
        ("window", lambda: load_module._rows_by_key(_NoCache(client), SCRATCH, keys)),
    ):
        c0 = cpu()
        for _ in range(5):
            run()
        figures[f"lookup_{name}_cpu_ms"] = round((cpu() - c0) / 5 * 1000)


class _NoCache:
    """A client whose queries skip the query condition cache."""

    def __init__(self, client) -> None:
        self._client = client

    def query(self, sql: str, parameters: dict):
        return self._client.query(
            sql, parameters=parameters, settings={"use_query_condition_cache": 0}
        )


def settings_clause(settings: dict) -> str:
    return " SETTINGS " + ", ".join(
        f"{k} = {literal(v) if isinstance(v, str) else v}" for k, v in settings.items()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=24)
    parser.add_argument("--per-object", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each variant")
    args = parser.parse_args()
    if args.objects < 10:  # one warm-up object, 8 per variant, 10 timed GETs
        parser.error(f"--objects must be at least 10 (got {args.objects})")
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

        client.command(f"CREATE TABLE {NULL_TABLE} AS {SCRATCH} ENGINE = Null")
        client.command(f"SYSTEM STOP MERGES {SCRATCH}")  # merges are measured on their own
        # warm-up: first s3() read and first insert pay one-off costs
        server(statement(store, keys[:1]))

        t0 = time.perf_counter()
        for _ in range(50):
            client.query("SELECT 1")
        figures["server_select1_ms"] = (time.perf_counter() - t0) / 50 * 1000
        s3 = store.client()
        t0 = time.perf_counter()
        for key in keys[:10]:
            s3.get_object(Bucket=store.bucket, Key=key)["Body"].read()
        figures["s3_get_ms"] = (time.perf_counter() - t0) / 10 * 1000

        def own_cpu() -> float:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            return usage.ru_utime + usage.ru_stime + cpu_seconds(stack.pids[1:])

        def timed(name: str, batches, run, parallel: int = 1, cpu=None) -> None:
            """`run` over `batches`, `--repeat` times; rows/s and CPU s per million rows of
            the server and SeaweedFS (`cpu`: what else to count, for in-process runs)."""
            cpu = cpu or (lambda: cpu_seconds(stack.pids))
            t0, c0 = time.perf_counter(), cpu()
            for _ in range(args.repeat):
                if parallel == 1:
                    for batch in batches:
                        run(batch)
                else:
                    with ThreadPoolExecutor(parallel) as pool:
                        list(pool.map(run, batches))
            seconds, cpu_s = time.perf_counter() - t0, cpu() - c0
            rows = sum(len(b) for b in batches) * args.per_object * args.repeat
            figures[f"{name}_rows_per_s"] = round(rows / seconds)
            figures[f"{name}_cpu_s_per_1m_rows"] = round(cpu_s / rows * 1e6, 2)
            print(f"  {name}: {rows / seconds:,.0f} rows/s, {cpu_s / rows * 1e6:.2f} CPU-s/1M")

        sample = keys[1:9]  # 8 objects per variant
        singles = [[k] for k in sample]
        timed("server_loader_statement", [sample], lambda b: server(statement(store, b)))
        timed(
            "server_table_types",
            [sample],
            lambda b: server(statement(store, b, table_types=True)),
        )
        timed(
            "server_into_null",
            [sample],
            lambda b: server(statement(store, b, table=NULL_TABLE)),
        )
        timed(
            "server_table_types_into_null",
            [sample],
            lambda b: server(statement(store, b, table=NULL_TABLE, table_types=True)),
        )
        timed("server_no_guard", [sample], lambda b: server(statement(store, b, guard=False)))
        timed("server_one_object_per_insert", singles, lambda b: server(statement(store, b)))
        timed(
            "server_2_parallel",
            [sample[:4], sample[4:]],
            lambda b: res.get_client().query(statement(store, b), settings=no_dedup),
            parallel=2,
        )
        timed(
            "server_wire_order_structure",
            [sample],
            lambda b: server(statement(store, b, wire_order=True)),
        )
        timed(
            "server_wire_order_structure_into_null",
            [sample],
            lambda b: server(statement(store, b, table=NULL_TABLE, wire_order=True)),
        )
        bare = put_objects(store, 8 * args.per_object, args.per_object, nulls=True)[:8]
        bare_keys = [[k for k, _ in bare]]
        timed(
            "server_with_nulls_loader_statement", bare_keys, lambda b: server(statement(store, b))
        )
        timed(
            "server_with_nulls_into_null",
            bare_keys,
            lambda b: server(statement(store, b, table=NULL_TABLE)),
        )
        timed("server_loader_statement_again", [sample], lambda b: server(statement(store, b)))
        timed(
            "server_into_null_again",
            [sample],
            lambda b: server(statement(store, b, table=NULL_TABLE)),
        )

        scratch_rows = client.query(f"SELECT count() FROM {SCRATCH}").result_rows[0][0]
        c0 = cpu_seconds(stack.pids)
        client.command(f"SYSTEM START MERGES {SCRATCH}")
        client.command(f"OPTIMIZE TABLE {SCRATCH} FINAL")
        figures["server_merge_to_one_part_cpu_s_per_1m_rows"] = round(
            (cpu_seconds(stack.pids) - c0) / scratch_rows * 1e6, 2
        )

        import chdb

        local = chdb.connect(str(Path(tmp) / "inproc"))
        local.query("CREATE DATABASE bench_scratch")
        local.query(ddl.replace("CREATE TABLE IF NOT EXISTS", "CREATE TABLE"))
        local.query(f"CREATE TABLE {NULL_TABLE} AS {SCRATCH} ENGINE = Null")
        local.query(f"SYSTEM STOP MERGES {SCRATCH}")
        clause = settings_clause(no_dedup)
        local.query(statement(store, keys[:1]) + clause)
        timed(
            "inproc_loader_statement",
            [sample],
            lambda b: local.query(statement(store, b) + clause),
            cpu=own_cpu,
        )
        timed(
            "inproc_into_null",
            [sample],
            lambda b: local.query(statement(store, b, table=NULL_TABLE) + clause),
            cpu=own_cpu,
        )
        timed(
            "inproc_gunzip_lines_only",
            [sample],
            lambda b: local.query(gunzip_only(store, b) + clause),
            cpu=own_cpu,
        )
        local.close()

        lookup(client, sample, figures, lambda: cpu_seconds(stack.pids))

    parse = (
        figures["server_into_null_cpu_s_per_1m_rows"]
        + figures["server_into_null_again_cpu_s_per_1m_rows"]
    ) / 2
    load = (
        figures["server_loader_statement_cpu_s_per_1m_rows"]
        + figures["server_loader_statement_again_cpu_s_per_1m_rows"]
    ) / 2
    figures["stage_parse_cpu_s_per_1m_rows"] = round(parse, 2)
    figures["stage_insert_cpu_s_per_1m_rows"] = round(load - parse, 2)
    figures["stage_merge_cpu_s_per_1m_rows"] = figures["server_merge_to_one_part_cpu_s_per_1m_rows"]
    figures["loader_vs_null_rate_ratio"] = round(
        (
            figures["server_loader_statement_rows_per_s"]
            + figures["server_loader_statement_again_rows_per_s"]
        )
        / (figures["server_into_null_rows_per_s"] + figures["server_into_null_again_rows_per_s"]),
        3,
    )
    base = figures["server_loader_statement_cpu_s_per_1m_rows"]
    for name, value in list(figures.items()):
        if name.endswith("_cpu_s_per_1m_rows") and "merge" not in name:
            figures[name.replace("_cpu_s_per_1m_rows", "_cpu_ratio")] = round(value / base, 2)
    figures["load_average_1m"] = os.getloadavg()[0]
    report("load_profile", figures, UNITS)


if __name__ == "__main__":
    main()
