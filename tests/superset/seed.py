"""Known rows in the marts Superset charts, for tests that run without the dbt project.

The tables mirror dbt_project's marts (`ollive.fct_*`, `ollive.agg_*_5m`, `pii_detections_5m`);
the rollups are computed from the facts the way dbt does (per 5-minute bucket, quantiles
recomputed), so a chart's figure can be checked against the facts.
"""

from __future__ import annotations

MARTS = "ollive"

DDL = [
    f"create database if not exists {MARTS}",
    f"""create table if not exists {MARTS}.fct_inferences (
        event_id UUID, started_at DateTime64(3, 'UTC'), project_id String, service String,
        provider String, model String, status String, error_code Nullable(String),
        latency_ms Float64, ttft_ms Nullable(Float64), input_tokens UInt64, output_tokens UInt64,
        cached_input_tokens UInt64, reasoning_tokens UInt64, cost_usd Float64
    ) engine = MergeTree order by (started_at, event_id)""",
    f"""create table if not exists {MARTS}.fct_tool_executions (
        event_id UUID, started_at DateTime64(3, 'UTC'), project_id String, service String,
        tool_name String, status String, error_code Nullable(String), latency_ms Float64
    ) engine = MergeTree order by (started_at, event_id)""",
    f"""create table if not exists {MARTS}.fct_application_logs (
        event_id UUID, started_at DateTime64(3, 'UTC'), project_id String, service String,
        level String, logger String, message String, exception_type Nullable(String),
        pii_entities Array(String)
    ) engine = MergeTree order by (started_at, event_id)""",
    f"""create table if not exists {MARTS}.agg_inference_5m (
        bucket_start DateTime('UTC'), project_id String, service String, provider String,
        model String, requests UInt64, errors UInt64, error_rate Float64, cancellations UInt64,
        latency_p50_ms Float64, latency_p95_ms Float64, latency_p99_ms Float64,
        ttft_p50_ms Nullable(Float64), ttft_p95_ms Nullable(Float64), ttft_p99_ms Nullable(Float64),
        input_tokens UInt64, output_tokens UInt64, cached_input_tokens UInt64,
        reasoning_tokens UInt64, cost_usd Float64
    ) engine = MergeTree order by (bucket_start, project_id, service, provider, model)""",
    f"""create table if not exists {MARTS}.agg_tool_5m (
        bucket_start DateTime('UTC'), project_id String, service String, tool_name String,
        calls UInt64, errors UInt64, error_rate Float64,
        latency_p50_ms Float64, latency_p95_ms Float64, latency_p99_ms Float64
    ) engine = MergeTree order by (bucket_start, project_id, service, tool_name)""",
    f"""create table if not exists {MARTS}.agg_application_5m (
        bucket_start DateTime('UTC'), project_id String, service String, level String,
        count UInt64
    ) engine = MergeTree order by (bucket_start, project_id, service, level)""",
    f"""create table if not exists {MARTS}.pii_detections_5m (
        bucket_start DateTime('UTC'), project_id String, log_type String, entity String,
        count UInt64
    ) engine = MergeTree order by (bucket_start, project_id, log_type, entity)""",
]

MODELS = "['gemini-2.5-flash', 'gemini-2.5-pro', 'gpt-4o-mini']"
PROVIDERS = "['gcp.gemini', 'gcp.gemini', 'openai']"
TOOLS = "['search_docs', 'get_weather', 'create_ticket']"
LEVELS = "['debug', 'info', 'info', 'info', 'warning', 'error']"
ENTITIES = "['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD']"


def fact_inserts(events: int, span_s: int, start: str = "now64(3, 'UTC')") -> list[str]:
    """`events` deterministic inference, tool and log facts over the `span_s` seconds before start."""
    at = f"{start} - toIntervalMillisecond(intHash32(number) % ({span_s} * 1000))"
    return [
        f"""insert into {MARTS}.fct_inferences
        select generateUUIDv4(number), {at},
            ['proj_demo', 'proj_support'][1 + number % 2], ['chatbot', 'support-bot'][1 + number % 2],
            {PROVIDERS}[1 + intDiv(number, 7) % 3], {MODELS}[1 + intDiv(number, 7) % 3],
            if(number % 20 = 0, 'error', 'ok'),
            if(number % 20 = 0, ['RESOURCE_EXHAUSTED', 'DEADLINE_EXCEEDED', 'INTERNAL'][1 + intDiv(number, 20) % 3], null),
            200 + cityHash64(number, 1) % 3000, if(number % 3 = 0, 50 + cityHash64(number, 2) % 400, null),
            100 + number % 900, 20 + number % 300, number % 50, number % 30,
            (100 + number % 900) * 3e-7 + (20 + number % 300) * 2.5e-6
        from numbers({events})""",
        f"""insert into {MARTS}.fct_tool_executions
        select generateUUIDv4(number + 1e9), {at}, ['proj_demo', 'proj_support'][1 + number % 2],
            'chatbot', {TOOLS}[1 + number % 3], if(number % 11 = 0, 'error', 'ok'),
            if(number % 11 = 0, 'TIMEOUT', null), 10 + cityHash64(number, 3) % 800
        from numbers(intDiv({events}, 2))""",
        f"""insert into {MARTS}.fct_application_logs
        select generateUUIDv4(number + 2e9), {at}, ['proj_demo', 'proj_support'][1 + intDiv(number, 6) % 2],
            ['chatbot', 'support-bot', 'ingest'][1 + number % 3], {LEVELS}[1 + number % 6],
            'app.handlers', concat('handled request ', toString(number)),
            if(number % 6 = 5, 'ValueError', null),
            if(number % 4 = 0, [{ENTITIES}[1 + intDiv(number, 4) % 3]], [])
        from numbers({events})""",
    ]


ROLLUPS = [
    f"""insert into {MARTS}.agg_inference_5m
    select toStartOfFiveMinutes(started_at), project_id, service, provider, model,
        count(), countIf(status = 'error'), countIf(status = 'error') / count(), 0,
        quantileExact(0.5)(latency_ms), quantileExact(0.95)(latency_ms), quantileExact(0.99)(latency_ms),
        quantileExactIf(0.5)(ttft_ms, ttft_ms is not null), quantileExactIf(0.95)(ttft_ms, ttft_ms is not null),
        quantileExactIf(0.99)(ttft_ms, ttft_ms is not null),
        sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), sum(reasoning_tokens), sum(cost_usd)
    from {MARTS}.fct_inferences group by all""",
    f"""insert into {MARTS}.agg_tool_5m
    select toStartOfFiveMinutes(started_at), project_id, service, tool_name, count(),
        countIf(status = 'error'), countIf(status = 'error') / count(),
        quantileExact(0.5)(latency_ms), quantileExact(0.95)(latency_ms), quantileExact(0.99)(latency_ms)
    from {MARTS}.fct_tool_executions group by all""",
    f"""insert into {MARTS}.agg_application_5m
    select toStartOfFiveMinutes(started_at), project_id, service, level, count()
    from {MARTS}.fct_application_logs group by all""",
    f"""insert into {MARTS}.pii_detections_5m
    select toStartOfFiveMinutes(started_at), project_id, 'application', entity, count()
    from {MARTS}.fct_application_logs array join pii_entities as entity group by all""",
]

TABLES = [
    "fct_inferences",
    "fct_tool_executions",
    "fct_application_logs",
    "agg_inference_5m",
    "agg_tool_5m",
    "agg_application_5m",
    "pii_detections_5m",
]


def seed(client, events: int = 3000, span_s: int = 6 * 3600) -> None:
    """Create the marts (if missing) and fill them with `events` known facts and their rollups."""
    for statement in DDL:
        client.command(statement)
    for table in TABLES:
        client.command(f"truncate table {MARTS}.{table}")
    for statement in [*fact_inserts(events, span_s), *ROLLUPS]:
        client.command(statement)
