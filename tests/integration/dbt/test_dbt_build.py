"""dbt against the embedded ClickHouse: staging rows with SDK retries, replays and late events,
`dbt build` twice (the second run takes the incremental paths), then the marts are checked
against what the rows say: one row per event_id, rollups equal to the facts, hand-priced cost,
late data counted exactly once, no PII."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from dagster_project.clickhouse import staging_schema
from ollive_contract.events import LOG_TYPES
from ollive_contract.tables import staging_table
from tests.fixtures.clickhouse import ClickHouseServer, start_clickhouse_server
from tests.fixtures.dbt_cli import run_dbt

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
# one traced chat turn: an SDK block (root) → a model call → two tool runs, one loaded late
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
ROOT_SPAN, MODEL_SPAN = "00f067aa0ba902b7", "b7ad6b7169203331"
IN_TURN = {"trace_id": TRACE, "conversation_id": "conv-1"}


def dbt(server: ClickHouseServer, tmp_path: Path, *args: str, check: bool = True) -> str:
    """dbt with a salt of the test's own (user pseudonyms are checked against it)."""
    env = {"OLLIVE_PIPELINE_USER_ID_SALT": "integration-test-salt"}
    return run_dbt(server, tmp_path, *args, check=check, env=env)


def _id(n: int) -> str:
    return f"01940000-0000-7000-8000-{n:012x}"


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _envelope(n: int, started: datetime, received: datetime, **fields) -> dict:
    return {
        "event_id": _id(n),
        "project_id": "proj-a",
        "service": "chat-api",
        "user_id": f"user-{n}@example.com",
        "started_at": _ts(started),
        "received_at": _ts(received),
        "schema_version": 1,
        "_object_key": f"raw/test/{received:%H%M%S}.ndjson.gz",
        **fields,
    }


def inference(n: int, started: datetime, received: datetime | None = None, **fields) -> dict:
    defaults = {"provider": "openai", "model": "gpt-4o-mini", "status": "ok", "latency_ms": 100.0}
    return _envelope(n, started, received or started + timedelta(seconds=2), **defaults | fields)


def tool(n: int, started: datetime, **fields) -> dict:
    defaults = {"tool_name": "get_weather", "status": "ok", "latency_ms": 20.0}
    return _envelope(n, started, started + timedelta(seconds=2), **defaults | fields)


def score(n: int, scored: datetime, received: datetime, **fields) -> dict:
    defaults = {"name": "thumbs", "author_kind": "user"}
    return _envelope(n, scored, received, **defaults | fields)


def log(n: int, started: datetime, **fields) -> dict:
    defaults = {"level": "info", "logger": "app", "message": "hello"}
    return _envelope(n, started, started + timedelta(seconds=2), **defaults | fields)


# batch 1: E1 retried by the SDK (the later receipt says ok), E2 replayed identically
RETRIED_FIRST = inference(1, T0, T0 + timedelta(seconds=1), status="error", error_code="503")
RETRIED_LATER = inference(1, T0, T0 + timedelta(seconds=9), status="ok")
PRICED = inference(  # gpt-4o-mini% 0.15 / 0.60 / cached 0.075 USD per 1M tokens
    3,
    T0 + timedelta(minutes=1),
    input_tokens=1200,
    cached_input_tokens=200,
    output_tokens=300,
    # PII the ingest API missed: dbt masks it again in every text column that reaches the marts
    input_preview="weather for jane@example.com",
    output_preview="sent to 415-555-0100",
    tool_calls=[{"name": "get_weather", "id": "call_1", "arguments_preview": '{"to": "a@b.io"}'}],
    metadata={"route": "/chat", "customer": "bob@example.org"},
    span_id=MODEL_SPAN,
    parent_span_id=ROOT_SPAN,
    **IN_TURN,
)
PRICED_COST = (1000 * 0.15 + 200 * 0.075 + 300 * 0.60) / 1e6
GEMINI = inference(  # gemini-2.5-flash% since 2025-06-17: 0.30 / 2.50 / cached 0.03
    4,
    T0 + timedelta(minutes=2),
    provider="gcp.gemini",
    model="gemini-2.5-flash",
    input_tokens=1000,
    cached_input_tokens=100,
    output_tokens=500,
    reasoning_tokens=200,
)
GEMINI_COST = (900 * 0.30 + 100 * 0.03 + 300 * 2.50 + 200 * 2.50) / 1e6
TOOL_WITH_PII = tool(
    101,
    T0 + timedelta(minutes=1, seconds=1),
    tool_call_id="call_1",
    arguments_preview='{"to": "a@b.io"}',
    result_preview="card 4111 1111 1111 1111",
    span_id="1111111111111111",
    parent_span_id=MODEL_SPAN,
    **IN_TURN,
)
BATCH_1 = {
    "inference": [
        RETRIED_FIRST,
        RETRIED_LATER,
        inference(2, T0 + timedelta(seconds=30), ttft_ms=40.0, stream=True),
        inference(2, T0 + timedelta(seconds=30), ttft_ms=40.0, stream=True),
        PRICED,
        GEMINI,
        inference(5, T0 + timedelta(minutes=6), cost_usd=0.42, status="cancelled"),
        inference(
            6,
            T0 + timedelta(minutes=7),
            error_message="mail bob@example.org",
            status="error",
            pii_detected=True,
            pii_entities=["EMAIL_ADDRESS"],
        ),
    ],
    "tool_execution": [
        TOOL_WITH_PII,
        TOOL_WITH_PII,
        tool(102, T0 + timedelta(minutes=5), status="error"),
    ],
    "application": [
        log(  # an SDK span block
            204,
            T0,
            logger="ollive.span",
            message="chat turn",
            metadata={"ollive.span.kind": "agent", "ollive.span.status": "ok"},
            finished_at=_ts(T0 + timedelta(seconds=3)),
            span_id=ROOT_SPAN,
            **IN_TURN,
        ),
        log(
            201,
            T0,
            message="user jane@example.com called 415-555-0100",
            pii_detected=True,
            pii_entities=["EMAIL_ADDRESS", "PHONE_NUMBER"],
        ),
        log(202, T0 + timedelta(minutes=5), level="error", message="boom"),
    ],
}
# batch 2: a late event for the already-built 10:00 bucket, a replay of all of batch 1, a new one
LATE = inference(7, T0 + timedelta(minutes=3), T0 + timedelta(hours=2), latency_ms=900.0)
BATCH_2 = {
    "inference": [
        LATE,
        *BATCH_1["inference"],
        # kept by head sampling at 1 in 4: it stands for 4 requests
        inference(8, T0 + timedelta(minutes=20), sample_rate=0.25, input_tokens=1000),
    ],
    "tool_execution": [
        *BATCH_1["tool_execution"],
        tool(103, T0 + timedelta(minutes=2), sample_rate=0.5),
        tool(
            104,
            T0 + timedelta(minutes=2),
            span_id="2222222222222222",
            parent_span_id=MODEL_SPAN,
            **IN_TURN,
        ),
    ],
    "application": [*BATCH_1["application"], log(203, T0 + timedelta(minutes=1))],
    # feedback on the traced turn, given two hours after it
    "score": [
        score(
            301,
            T0 + timedelta(hours=2),
            T0 + timedelta(hours=2, seconds=1),
            data_type="boolean",
            numeric_value=0.0,
            string_value="false",
            comment="wrong, mail me at jane@example.com",
            target_trace_id=TRACE,
        ),
        score(
            302,
            T0 + timedelta(hours=2),
            T0 + timedelta(hours=2, seconds=1),
            name="helpfulness",
            author_kind="human_annotator",
            data_type="numeric",
            numeric_value=2.0,
            target_conversation_id="conv-1",
        ),
    ],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    """A private server: the staging database name is fixed, so no other test shares it."""
    ch = start_clickhouse_server(tmp_path_factory.mktemp("dbt-clickhouse") / "data")
    client = ch.client()
    client.command(staging_schema.create_database())
    for log_type in LOG_TYPES:
        client.command(staging_schema.create_staging_table(log_type, ttl_days=None))
    client.command(staging_schema.create_load_manifest())
    client.command(staging_schema.create_quarantine())
    yield ch
    ch.stop()


def load(server: ClickHouseServer, batch: dict[str, list[dict]]) -> None:
    """What the loader does, minus S3: one insert per log type, `_loaded_at` set by the table."""
    client = server.client()
    for log_type, rows in batch.items():
        body = b"\n".join(orjson.dumps(row) for row in rows)
        client.raw_insert(staging_table(log_type), insert_block=body, fmt="JSONEachRow")


ROLLUP_SNAPSHOT = """
SELECT * EXCEPT (latency_state, ttft_state),
    toString(finalizeAggregation(latency_state)), toString(finalizeAggregation(ttft_state))
FROM ollive.agg_inference_5m ORDER BY ALL"""


def rows(server: ClickHouseServer, sql: str) -> list[tuple]:
    return server.client().query(sql).result_rows


def test_build_twice_counts_every_event_once(server: ClickHouseServer, tmp_path: Path) -> None:
    load(server, BATCH_1)
    dbt(server, tmp_path, "build")
    assert rows(server, "SELECT count(), uniqExact(event_id) FROM ollive.fct_inferences") == [
        (6, 6)
    ]
    assert rows(server, "SELECT sum(requests) FROM ollive.agg_inference_5m") == [(6,)]

    # a fact built before its skip indexes were configured gains them at its next build
    indexes = (
        "SELECT name FROM system.data_skipping_indices "
        "WHERE database = 'ollive' AND table = 'fct_inferences'"
    )
    wanted = {
        (f"{column}_{kind}",)
        for column in ("trace_id", "conversation_id")
        for kind in ("bloom", "minmax")
    } | {("event_time_minmax",), ("loaded_at_minmax",)}
    assert set(rows(server, indexes)) == wanted
    server.client().command("ALTER TABLE ollive.fct_inferences DROP INDEX loaded_at_minmax")

    load(server, BATCH_2)
    second = dbt(server, tmp_path, "build")
    assert "Completed successfully" in second
    assert set(rows(server, indexes)) == wanted

    for fact, staged, rollup, measure in [
        ("fct_inferences", "inference", "agg_inference_5m", "requests"),
        ("fct_inferences", "inference", "agg_inference_1m", "requests"),
        ("fct_tool_executions", "tool_execution", "agg_tool_5m", "calls"),
        ("fct_application_logs", "application", "agg_application_5m", "records"),
    ]:
        [(facts, distinct)] = rows(
            server, f"SELECT count(), uniqExact(event_id) FROM ollive.{fact}"
        )
        [(staged_ids,)] = rows(server, f"SELECT uniqExact(event_id) FROM {staging_table(staged)}")
        [(rolled,)] = rows(server, f"SELECT sum({measure}) FROM ollive.{rollup}")
        assert facts == distinct == staged_ids == rolled, fact
    assert rows(server, "SELECT count() FROM ollive.fct_inferences") == [(8,)]

    # the SDK retry: the latest received copy wins
    assert rows(
        server, f"SELECT status, error_code FROM ollive.fct_inferences WHERE event_id = '{_id(1)}'"
    ) == [("ok", None)]

    # the late event landed once, in its old bucket, and the bucket's quantiles were recomputed
    assert rows(
        server,
        "SELECT requests, latency_p99_ms FROM ollive.agg_inference_5m "
        "WHERE bucket_start = '2026-01-05 10:00:00' AND model = 'gpt-4o-mini'",
    ) == [(4, 900.0)]

    # mergeable quantile states read back as plain floats; only event 2 streamed (TTFT 40 ms)
    [(streams, ttft_p50, latency_p99)] = rows(
        server,
        "SELECT sum(streaming_requests), quantilesTDigestMerge(0.5, 0.95, 0.99)(ttft_state)[1], "
        "quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_state)[3] FROM ollive.agg_inference_5m",
    )
    assert streams == 1 and ttft_p50 == pytest.approx(40.0)
    assert isinstance(latency_p99, float)

    # pricing: by hand from the seed; the producer's cost wins when given
    costs = dict(rows(server, "SELECT toString(event_id), cost_usd FROM ollive.fct_inferences"))
    assert costs[_id(3)] == pytest.approx(PRICED_COST, rel=1e-9)
    assert costs[_id(4)] == pytest.approx(GEMINI_COST, rel=1e-9)
    assert costs[_id(5)] == pytest.approx(0.42)
    [(total_cost,)] = rows(server, "SELECT sum(cost_usd) FROM ollive.agg_inference_5m")
    assert total_cost == pytest.approx(sum(c for c in costs.values() if c is not None))

    # sampling: the estimates weight each event by 1 / sample_rate (rows without one: 1)
    assert costs[_id(8)] == pytest.approx(1000 * 0.15 / 1e6)
    [(requests, estimated, estimated_cost, estimated_tokens)] = rows(
        server,
        "SELECT sum(requests), sum(estimated_requests), sum(estimated_cost_usd), "
        "sum(estimated_input_tokens) FROM ollive.agg_inference_5m",
    )
    assert (requests, estimated) == (8, 7 + 4)
    assert estimated_cost == pytest.approx(total_cost + 3 * costs[_id(8)])
    assert estimated_tokens == 1200 + 1000 + 4 * 1000
    assert rows(
        server,
        "SELECT sum(calls), sum(estimated_calls), sum(estimated_errors) FROM ollive.agg_tool_5m",
    ) == [(4, 5.0, 1.0)]

    # PII: masked text, pseudonymous users, entity names counted per bucket
    assert rows(
        server, f"SELECT message FROM ollive.fct_application_logs WHERE event_id = '{_id(201)}'"
    ) == [("user <EMAIL_ADDRESS> called <PHONE_NUMBER>",)]
    [(raw_users,)] = rows(
        server, "SELECT countIf(user_pseudo_id LIKE '%@%') FROM ollive.fct_inferences"
    )
    assert raw_users == 0
    assert rows(
        server,
        "SELECT log_type, entity, sum(detections) FROM ollive.pii_detections_5m "
        "GROUP BY log_type, entity ORDER BY log_type, entity",
    ) == [
        ("application", "EMAIL_ADDRESS", 1),
        ("application", "PHONE_NUMBER", 1),
        ("inference", "EMAIL_ADDRESS", 1),
    ]

    # the previews, tool calls and metadata reach the facts, masked, with their links
    assert rows(
        server,
        "SELECT input_preview, output_preview, tool_call_ids, tool_call_arguments_previews, "
        f"metadata FROM ollive.fct_inferences WHERE event_id = '{_id(3)}'",
    ) == [
        (
            "weather for <EMAIL_ADDRESS>",
            "sent to <PHONE_NUMBER>",
            ["call_1"],
            ['{"to": "<EMAIL_ADDRESS>"}'],
            '{"route":"/chat","customer":"<EMAIL_ADDRESS>"}',
        )
    ]
    assert rows(
        server,
        "SELECT tool_call_id, arguments_preview, result_preview, metadata "
        f"FROM ollive.fct_tool_executions WHERE event_id = '{_id(101)}'",
    ) == [("call_1", '{"to": "<EMAIL_ADDRESS>"}', "card <CREDIT_CARD>", "{}")]
    assert rows(
        server,
        "SELECT is_span, span_kind, span_status, message, "
        "dateDiff('millisecond', logged_at, finished_at) "
        f"FROM ollive.fct_application_logs WHERE event_id IN ('{_id(204)}', '{_id(202)}') "
        "ORDER BY event_id",
    ) == [(False, None, None, "boom", None), (True, "agent", "ok", "chat turn", 3000)]

    # the traced turn, its late tool run included, in fct_traces and fct_conversations
    assert rows(
        server,
        "SELECT root_span_id, root_name, span_names, count_spans, tree_depth, count_inferences, "
        "count_tool_executions, cost_usd, duration_ms FROM ollive.fct_traces "
        f"WHERE trace_id = '{TRACE}'",
    ) == [
        (
            ROOT_SPAN,
            "chat turn",
            ["chat turn", "gpt-4o-mini", "get_weather", "get_weather"],
            4,
            3,
            1,
            2,
            pytest.approx(PRICED_COST),
            120_020.0,
        )
    ]
    assert rows(
        server,
        "SELECT count_turns, count_inferences, count_tool_executions, first_activity_at, "
        "count_scores, mean_numeric_score, count_negative_scores "
        "FROM ollive.fct_conversations WHERE conversation_id = 'conv-1'",
    ) == [(1, 1, 2, T0.replace(tzinfo=None), 2, 2.0, 1)]

    # the trace view's rows: each span at its depth (root 1, model call 2, its tools 3), the
    # late tool run included, previews masked
    assert rows(
        server,
        "SELECT depth, span_kind, span_name, input_preview FROM ollive.fct_trace_spans "
        "WHERE conversation_id = 'conv-1' ORDER BY started_at, event_id",
    ) == [
        (1, "span", "chat turn", ""),
        (2, "model call", "gpt-4o-mini", "weather for <EMAIL_ADDRESS>"),
        (3, "tool", "get_weather", '{"to": "<EMAIL_ADDRESS>"}'),
        (3, "tool", "get_weather", None),
    ]

    # the conversation's timeline: turn 1, events in start order (the late tool run included)
    assert rows(
        server,
        "SELECT turn_number, position_in_conversation, event_type, event_name "
        "FROM ollive.fct_session_timeline WHERE conversation_id = 'conv-1' "
        "ORDER BY position_in_conversation",
    ) == [
        (1, 1, "span", "chat turn"),
        (1, 2, "inference", "gpt-4o-mini"),
        (1, 3, "tool_execution", "get_weather"),
        (1, 4, "tool_execution", "get_weather"),
    ]

    # late feedback: its own fact (comment masked) and rollup, bucketed when it was given
    assert rows(
        server,
        "SELECT score_name, target_kind, score_comment, is_negative_boolean "
        f"FROM ollive.fct_scores WHERE event_id = '{_id(301)}'",
    ) == [("thumbs", "trace", "wrong, mail me at <EMAIL_ADDRESS>", True)]
    assert rows(
        server,
        "SELECT bucket_start, score_name, category, scores, numeric_value_sum "
        "FROM ollive.agg_scores_5m ORDER BY score_name",
    ) == [
        ((T0 + timedelta(hours=2)).replace(tzinfo=None), "helpfulness", "", 1, 2.0),
        ((T0 + timedelta(hours=2)).replace(tzinfo=None), "thumbs", "false", 1, 0.0),
    ]

    # a third build with nothing new changes nothing
    before = rows(server, ROLLUP_SNAPSHOT)
    dbt(server, tmp_path, "build")
    assert rows(server, ROLLUP_SNAPSHOT) == before

    docs = dbt(server, tmp_path, "docs", "generate")
    assert "Catalog written" in docs

    # a random span id that happens to look like a card number is not personal data: the guard
    # skips the ids the SDK and providers generate, and still checks the text columns
    server.client().command(
        "ALTER TABLE ollive.fct_tool_executions UPDATE span_id = '4123456789012345' "
        f"WHERE event_id = '{_id(101)}' SETTINGS mutations_sync = 2"
    )
    guard = dbt(server, tmp_path, "test", "-s", "assert_no_pii_in_marts", check=False)
    # (the on-run-start hook is counted as a pass beside the test)
    assert "PASS assert_no_pii_in_marts" in guard and "WARN=0 ERROR=0" in guard

    # the PII guard sees the new text columns: a leak planted in one fails it
    server.client().command(
        "ALTER TABLE ollive.fct_tool_executions UPDATE result_preview = 'mail leak@example.com' "
        f"WHERE event_id = '{_id(101)}' SETTINGS mutations_sync = 2"
    )
    guard = dbt(server, tmp_path, "test", "-s", "assert_no_pii_in_marts", check=False)
    assert "FAIL 1 assert_no_pii_in_marts" in guard
