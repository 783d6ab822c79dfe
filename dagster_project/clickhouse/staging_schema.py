"""Staging table columns per log type: the wire contract's fields typed for ClickHouse.

The same column list renders the `CREATE TABLE` and the `structure` argument of `s3()`, so the
table and the parser of the raw objects can never disagree. The parser reads `LowCardinality`
columns as their plain type and the INSERT converts them: JSONEachRow builds a `LowCardinality`
column value by value, which took half of the parse CPU (measured in docs/dagster.md), while
the INSERT converts whole blocks.
"""

from __future__ import annotations

from ollive_contract.tables import (
    LOAD_MANIFEST_TABLE,
    QUARANTINE_TABLE,
    STAGING_DATABASE,
    staging_table,
)

DT = "DateTime64(3, 'UTC')"
# Cluster mode: every node's `macros` name its shard and replica (ClickHouse's documented layout)
REPLICA_PATH = "'/clickhouse/tables/{shard}/{database}/{table}'"
REPLICA_NAME = "'{replica}'"
LOCAL_SUFFIX = "_local"
OPT_ID = "Nullable(String)"
OPT_LC = "LowCardinality(Nullable(String))"

ENVELOPE: list[tuple[str, str]] = [
    ("event_id", "UUID"),
    ("project_id", "LowCardinality(String)"),
    ("service", "LowCardinality(String)"),
    ("environment", OPT_LC),
    ("request_id", OPT_ID),
    ("trace_id", OPT_ID),
    ("span_id", OPT_ID),
    ("parent_span_id", OPT_ID),
    # NULL in rows loaded before the contract carried it: read as 1 (unsampled) downstream
    ("sample_rate", "Nullable(Float64)"),
    ("conversation_id", OPT_ID),
    ("session_id", OPT_ID),
    ("user_id", OPT_ID),
    ("sdk_name", OPT_LC),
    ("sdk_version", OPT_LC),
    ("metadata", "Map(String, String)"),
    ("started_at", DT),
    ("finished_at", f"Nullable({DT})"),
    ("received_at", DT),
    ("pii_detected", "Bool"),
    ("pii_entities", "Array(LowCardinality(String))"),
    ("schema_version", "UInt8"),
]

BY_LOG_TYPE: dict[str, list[tuple[str, str]]] = {
    "inference": [
        ("provider", "LowCardinality(String)"),
        ("operation", "LowCardinality(String)"),
        ("model", "LowCardinality(String)"),
        ("response_model", OPT_LC),
        ("stream", "Bool"),
        ("latency_ms", "Nullable(Float64)"),
        ("ttft_ms", "Nullable(Float64)"),
        ("input_tokens", "Nullable(UInt64)"),
        ("output_tokens", "Nullable(UInt64)"),
        ("cached_input_tokens", "Nullable(UInt64)"),
        ("reasoning_tokens", "Nullable(UInt64)"),
        ("cost_usd", "Nullable(Float64)"),
        ("status", "LowCardinality(String)"),
        ("finish_reason", OPT_LC),
        (
            "tool_calls",
            "Array(Tuple(name String, id Nullable(String), arguments_preview Nullable(String)))",
        ),
        ("error_code", OPT_LC),
        ("error_message", "Nullable(String)"),
        ("input_preview", "Nullable(String)"),
        ("output_preview", "Nullable(String)"),
    ],
    "tool_execution": [
        ("tool_name", "LowCardinality(String)"),
        ("tool_call_id", OPT_ID),
        ("latency_ms", "Nullable(Float64)"),
        ("status", "LowCardinality(String)"),
        ("error_code", OPT_LC),
        ("error_message", "Nullable(String)"),
        ("arguments_preview", "Nullable(String)"),
        ("result_preview", "Nullable(String)"),
    ],
    "application": [
        ("level", "LowCardinality(String)"),
        ("logger", "LowCardinality(String)"),
        ("message", "String"),
        ("exception_type", OPT_LC),
        ("exception_message", "Nullable(String)"),
        ("exception_stack", "Nullable(String)"),
    ],
    # `value` is stored typed: the contract's computed data_type, numeric_value, string_value
    "score": [
        ("name", "LowCardinality(String)"),
        ("data_type", "LowCardinality(String)"),
        ("numeric_value", "Nullable(Float64)"),
        ("string_value", "Nullable(String)"),
        ("comment", "Nullable(String)"),
        ("author_kind", "LowCardinality(String)"),
        ("target_event_id", "Nullable(UUID)"),
        ("target_trace_id", OPT_ID),
        ("target_conversation_id", OPT_ID),
    ],
}

LINEAGE: list[tuple[str, str]] = [
    ("_object_key", "String CODEC(ZSTD(1))"),
    ("_loaded_at", f"{DT} DEFAULT now64(3)"),
]

# Skip indexes that keep a dbt build's reads to its batch, however long the history. Staging is
# ordered by receipt, and neither load time nor event id follows that order:
# - `loaded_at_minmax`: the incremental models find a batch by `_loaded_at >= <watermark -
#   lookback>`. Each load's rows arrive in a part of their own, so the index skips every granule
#   loaded before the cutoff;
# - `event_time_minmax`: the models re-read all copies of the batch's events by id. An event id
#   is a UUIDv7, whose first 48 bits are the event's time, and a load's rows cover a stretch of
#   time, so the index on that time skips the granules of other times (ClickHouse applies the
#   index's expression to the ids of a plain `event_id IN (…)`).
LOADED_AT_INDEX = "loaded_at_minmax"
EVENT_TIME_INDEX = "event_time_minmax"
SKIP_INDEXES: dict[str, str] = {
    LOADED_AT_INDEX: "_loaded_at TYPE minmax GRANULARITY 1",
    EVENT_TIME_INDEX: "UUIDv7ToDateTime(event_id) TYPE minmax GRANULARITY 1",
}


def index_ddl(name: str) -> str:
    """The `INDEX …` clause of skip index `name` in a `CREATE TABLE`."""
    return f"INDEX {name} {SKIP_INDEXES[name]}"


def event_columns(log_type: str) -> list[tuple[str, str]]:
    """The columns parsed out of a raw object of `log_type` (no lineage columns)."""
    return ENVELOPE + BY_LOG_TYPE[log_type]


def parse_type(ctype: str) -> str:
    """`ctype` without its `LowCardinality(…)` wrappers: `Array(LowCardinality(String))` is
    parsed as `Array(String)`."""
    marker = "LowCardinality("
    while (start := ctype.find(marker)) >= 0:
        depth, end = 1, start + len(marker)
        while depth:
            depth += {"(": 1, ")": -1}.get(ctype[end], 0)
            end += 1
        ctype = ctype[:start] + ctype[start + len(marker) : end - 1] + ctype[end:]
    return ctype


def s3_structure(log_type: str) -> str:
    """The `structure` argument of `s3()` for raw objects of `log_type` (see `parse_type`)."""
    return ", ".join(f"{name} {parse_type(ctype)}" for name, ctype in event_columns(log_type))


def ttl_expression(ttl_days: int | None) -> str | None:
    """A staging row lives `ttl_days` after its load, in ClickHouse's own spelling (so
    `system.tables` shows it back verbatim and `migrate` can compare); None or 0 keeps rows.

    By load time, not arrival: ClickHouse drops rows already expired at INSERT, so a replay of
    month-old objects (a rebuild) must not vanish before dbt reads it; in steady state a row is
    loaded minutes after it arrives."""
    return f"toDateTime(_loaded_at) + toIntervalDay({ttl_days})" if ttl_days else None


def _engine(engine: str, cluster: str | None, *args: str) -> str:
    """`engine(args)`, or its Replicated form (Keeper path and replica from the macros every
    node of the cluster defines) when the DDL targets a cluster."""
    if cluster:
        args = (REPLICA_PATH, REPLICA_NAME, *args)
        engine = f"Replicated{engine}"
    return f"{engine}({', '.join(args)})" if args else engine


def _on_cluster(cluster: str | None) -> str:
    return f" ON CLUSTER {cluster}" if cluster else ""


def local_table(table: str) -> str:
    """The replicated table under a Distributed one (cluster mode)."""
    return f"{table}{LOCAL_SUFFIX}"


def mutation_target(table: str, cluster: str | None) -> str:
    """Where a mutation (lightweight `DELETE`) of `table` runs: the table itself on one server;
    on a cluster the replicated table under the Distributed one, on every node (ClickHouse
    refuses mutations of a Distributed table)."""
    return f"{local_table(table)}{_on_cluster(cluster)}" if cluster else table


def _create(
    table: str,
    body: str,
    engine: str,
    tail: str,
    cluster: str | None,
    sharding_key: str,
) -> list[str]:
    """One table on a server; on a cluster, the replicated table on every node and, under the
    name everything reads and writes, a Distributed table over it."""
    if not cluster:
        return [f"CREATE TABLE IF NOT EXISTS {table}\n{body}\nENGINE = {engine}\n{tail}"]
    database, name = table.split(".")
    local = local_table(table)
    return [
        f"CREATE TABLE IF NOT EXISTS {local}{_on_cluster(cluster)}\n{body}\nENGINE = {engine}"
        f"\n{tail}",
        f"CREATE TABLE IF NOT EXISTS {table}{_on_cluster(cluster)} AS {local}\n"
        f"ENGINE = Distributed({cluster}, {database}, {local_table(name)}, {sharding_key})",
    ]


def staging_table_statements(
    log_type: str, ttl_days: int | None, cluster: str | None = None
) -> list[str]:
    """The staging table of `log_type`: one MergeTree, or on a cluster ReplicatedMergeTree
    tables sharded by event id behind a Distributed table. Exactly-once holds on a cluster too:
    replicated tables deduplicate by `insert_deduplication_token` across replicas in Keeper
    (`replicated_deduplication_window`), and the manifest is replicated the same way."""
    columns = ",\n    ".join(
        [f"{n} {t}" for n, t in event_columns(log_type) + LINEAGE]
        + [index_ddl(name) for name in SKIP_INDEXES]
    )
    ttl = ttl_expression(ttl_days)
    window = "replicated" if cluster else "non_replicated"
    tail = (
        "PARTITION BY toYYYYMM(received_at)\n"
        "ORDER BY (project_id, toStartOfHour(received_at), event_id)"
        + (f"\nTTL {ttl}" if ttl else "")
        + f"\nSETTINGS {window}_deduplication_window = 100000"
    )
    return _create(
        staging_table(log_type),
        f"(\n    {columns}\n)",
        _engine("MergeTree", cluster),
        tail,
        cluster,
        "cityHash64(event_id)",
    )


def create_staging_table(log_type: str, ttl_days: int | None) -> str:
    """The single-server `CREATE TABLE` of `log_type`'s staging table."""
    return staging_table_statements(log_type, ttl_days)[0]


def add_missing_columns(log_type: str, cluster: str | None = None) -> list[str]:
    """`ALTER TABLE … ADD COLUMN IF NOT EXISTS` for every event column, each after its
    predecessor: a table made by an older contract gains the new columns, its rows kept (old
    rows read NULL, or the type's default, in them). On a cluster, the replicated tables first,
    then the Distributed table over them."""
    columns = event_columns(log_type)
    table = staging_table(log_type)
    tables = [local_table(table), table] if cluster else [table]
    return [
        f"ALTER TABLE {t}{_on_cluster(cluster)} ADD COLUMN IF NOT EXISTS {name} {ctype}"
        + (f" AFTER {columns[i - 1][0]}" if i else " FIRST")
        for t in tables
        for i, (name, ctype) in enumerate(columns)
    ]


def add_skip_index(log_type: str, name: str, cluster: str | None = None) -> str:
    """`ALTER TABLE … ADD INDEX IF NOT EXISTS` of skip index `name`: a table made before it gains
    it (metadata only; its new parts carry it, `materialize_skip_index` builds it for the old
    ones)."""
    return (
        f"ALTER TABLE {mutation_target(staging_table(log_type), cluster)} "
        f"ADD INDEX IF NOT EXISTS {name} {SKIP_INDEXES[name]}"
    )


def materialize_skip_index(log_type: str, name: str, cluster: str | None = None) -> str:
    """The mutation that builds skip index `name` in parts written before it existed."""
    return (
        f"ALTER TABLE {mutation_target(staging_table(log_type), cluster)} MATERIALIZE INDEX {name}"
    )


def create_database(cluster: str | None = None) -> str:
    return f"CREATE DATABASE IF NOT EXISTS {STAGING_DATABASE}{_on_cluster(cluster)}"


def create_load_manifest() -> str:
    """The single-server `CREATE TABLE` of the load manifest."""
    return load_manifest_statements()[0]


def create_quarantine() -> str:
    """The single-server `CREATE TABLE` of the quarantine."""
    return quarantine_statements()[0]


def load_manifest_statements(cluster: str | None = None) -> list[str]:
    """One row per loaded object: the exactly-once ledger the sensor diffs against."""
    return _create(
        f"{STAGING_DATABASE}.{LOAD_MANIFEST_TABLE}",
        f"""(
    object_key String,
    log_type LowCardinality(String),
    status LowCardinality(String),
    rows_loaded UInt64,
    object_size UInt64,
    run_id String,
    loaded_at {DT} DEFAULT now64(3)
)""",
        _engine("ReplacingMergeTree", cluster, "loaded_at"),
        "ORDER BY object_key",
        cluster,
        "cityHash64(object_key)",
    )


def quarantine_statements(cluster: str | None = None) -> list[str]:
    """Objects (or lines) that could not be loaded, with why; they never block the others."""
    return _create(
        f"{STAGING_DATABASE}.{QUARANTINE_TABLE}",
        f"""(
    object_key String,
    log_type LowCardinality(String),
    reason String,
    raw_sample String CODEC(ZSTD(3)),
    quarantined_at {DT} DEFAULT now64(3)
)""",
        _engine("MergeTree", cluster),
        "ORDER BY (quarantined_at, object_key)",
        cluster,
        "cityHash64(object_key)",
    )
