"""The anomaly models against the embedded ClickHouse: dbt's unit tests, then rollup rows with
a daily shape written into tables shaped as `agg_inference_5m` and `agg_inference_1m`, scored in
two incremental runs (the second with a late rebuild of an old bucket), which must equal a full
refresh; the Dagster checks read the open anomalies back."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.checks.anomalies import build_anomaly_check, open_anomalies
from dagster_project.resources.clickhouse import ClickHouseResource
from tests.fixtures.clickhouse import ClickHouseServer, start_clickhouse_server
from tests.fixtures.dbt_cli import run_dbt as dbt
from tests.fixtures.table_rows import assert_rows_match

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
BUCKET = timedelta(minutes=5)
MINUTE = timedelta(minutes=1)
SPIKE = MONDAY + timedelta(days=22, hours=23, minutes=35)  # error rate 0.4
LATE = MONDAY + timedelta(days=21, hours=10)  # rebuilt in the second batch with latency x4
OUTAGE = MONDAY + timedelta(days=22, hours=16)  # 15 minutes without a request: no rollup rows
COLUMNS = [
    "bucket_start",
    "project_id",
    "service",
    "provider",
    "model",
    "requests",
    "errors",
    "error_rate",
    "streaming_requests",
    "latency_p50_ms",
    "latency_p95_ms",
    "ttft_p50_ms",
    "ttft_p95_ms",
    "cost_usd",
    "unpriced_requests",
    "last_loaded_at",
]
# the columns of agg_inference_5m the anomaly models read, with the rollup's types: written
# directly, so the models are measured on their own (the rollup's own build is not under test)
ROLLUP_DDL = """
CREATE TABLE ollive.agg_inference_5m (
    bucket_start DateTime('UTC'), project_id LowCardinality(String),
    service LowCardinality(String), provider LowCardinality(String),
    model LowCardinality(String), requests UInt64, errors UInt64, error_rate Float64,
    streaming_requests UInt64, latency_p50_ms Float64, latency_p95_ms Float64,
    latency_p99_ms Float64, ttft_p50_ms Nullable(Float64), ttft_p95_ms Nullable(Float64),
    ttft_p99_ms Nullable(Float64), cost_usd Nullable(Float64), unpriced_requests UInt64,
    last_loaded_at DateTime64(3, 'UTC')
) ENGINE = MergeTree ORDER BY (bucket_start, project_id, service, provider, model)
"""
MINUTES_DDL = """
CREATE TABLE ollive.agg_inference_1m (
    minute_start DateTime('UTC'), bucket_start DateTime('UTC'),
    project_id LowCardinality(String), service LowCardinality(String),
    provider LowCardinality(String), model LowCardinality(String), requests UInt64,
    errors UInt64, streaming_requests UInt64, latencies_ms Array(Float64),
    ttfts_ms Array(Float64), cost_usd Nullable(Float64), unpriced_requests UInt64,
    last_loaded_at DateTime64(3, 'UTC')
) ENGINE = MergeTree ORDER BY (minute_start, project_id, service, provider, model)
"""
MINUTE_COLUMNS = [
    "minute_start",
    "bucket_start",
    "project_id",
    "service",
    "provider",
    "model",
    "requests",
    "errors",
    "streaming_requests",
    "latencies_ms",
    "ttfts_ms",
    "cost_usd",
    "unpriced_requests",
    "last_loaded_at",
]
SCORES = "SELECT * FROM ollive.anomaly_scores_5m ORDER BY ALL"
FLAGGED = "SELECT bucket_start, metric, direction FROM ollive.anomalies_5m ORDER BY ALL"


def _row(bucket: datetime, latency_factor: float = 1.0, error_rate: float | None = None) -> list:
    """A bucket of a daily-shaped series: a noon peak, a few percent of deterministic wobble."""
    minute = (bucket - MONDAY).total_seconds() / 60
    wobble = 1 + 0.03 * math.sin(minute * 7.3)
    requests = round((120 + 80 * math.sin(2 * math.pi * (minute % 1440) / 1440)) * wobble)
    rate = error_rate if error_rate is not None else 0.02 * wobble
    errors = round(requests * rate)
    return [
        bucket,
        "p",
        "chat",
        "openai",
        "gpt-4o-mini",
        requests,
        errors,
        errors / requests,
        requests // 2,
        500.0 * wobble * latency_factor,
        1000.0 * wobble * latency_factor,
        100.0 * wobble,
        200.0 * wobble,
        0.002 * requests * wobble,
        0,
        bucket + timedelta(minutes=1),
    ]


def _rows(start: datetime, end: datetime) -> list[list]:
    buckets = [start + i * BUCKET for i in range(int((end - start) / BUCKET))]
    buckets = [b for b in buckets if not OUTAGE <= b < OUTAGE + 3 * BUCKET]
    return [_row(b, error_rate=0.4 if b == SPIKE else None) for b in buckets]


def _spread(counts: int, minute: int) -> int:
    """The share of `counts` events in minute `minute` (0-4) of a bucket: as even as can be."""
    return counts // 5 + (minute < counts % 5)


def _minutes(row: list) -> list[list]:
    """The five minutes of a bucket row of `_row`: its events spread evenly, each minute's
    latencies (TTFTs) 70% at the bucket's p50 and the rest at its p95, so that any window of
    minutes has its buckets' quantiles."""
    bucket, *series, requests, errors, _, streams, p50, p95, ttft50, ttft95, cost, _, loaded = row
    out = []
    for minute in range(5):
        n, streaming = _spread(requests, minute), _spread(streams, minute)
        latencies = [p50] * round(0.7 * n) + [p95] * (n - round(0.7 * n))
        ttfts = [ttft50] * round(0.7 * streaming) + [ttft95] * (streaming - round(0.7 * streaming))
        out.append(
            [bucket + minute * MINUTE, bucket, *series, n, _spread(errors, minute), streaming,
             sorted(latencies), sorted(ttfts), cost * n / requests, 0, loaded]
        )  # fmt: skip
    return out


def _insert(client, rows: list[list]) -> None:
    """Bucket rows into both rollups, as the pipeline builds them from the same events."""
    client.insert("ollive.agg_inference_5m", rows, COLUMNS)
    client.insert("ollive.agg_inference_1m", [m for r in rows for m in _minutes(r)], MINUTE_COLUMNS)


def _overlaps(window: datetime, start: datetime, end: datetime) -> bool:
    return window + BUCKET > start and window < end


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    ch = start_clickhouse_server(tmp_path_factory.mktemp("anomalies-clickhouse") / "data")
    ch.client().command("CREATE DATABASE ollive")
    ch.client().command(ROLLUP_DDL)
    ch.client().command(MINUTES_DDL)
    yield ch
    ch.stop()


def test_anomalies_incremental_equals_full_refresh(server: ClickHouseServer, tmp_path: Path):
    client = server.client()
    built = dbt(server, tmp_path, "build", "-s", "tag:anomaly")
    assert "anomaly_scores_5m_daily_peak_is_not_flagged" in built

    # three weeks of history and the next day to noon, then the rest of the day with a late
    # rebuild of a bucket of the first batch (delete+insert, as the rollup does)
    _insert(client, _rows(MONDAY, SPIKE - timedelta(hours=12)))
    dbt(server, tmp_path, "run", "-s", "anomaly_scores_5m")
    for rollup in ("agg_inference_5m", "agg_inference_1m"):
        client.command(f"DELETE FROM ollive.{rollup} WHERE bucket_start = '{LATE:%F %T}'")
    late = _row(LATE, latency_factor=4.0)
    late[-1] = SPIKE
    _insert(client, [late, *_rows(SPIKE - timedelta(hours=12), MONDAY + timedelta(days=23))])
    dbt(server, tmp_path, "run", "-s", "anomaly_scores_5m")

    incremental = client.query(SCORES).result_rows
    flagged = [(b.replace(tzinfo=UTC), m, d) for b, m, d in client.query(FLAGGED).result_rows]
    # what each injected event may flag, in the windows overlapping it: the late bucket's whole
    # latency distribution moved (median and p95); the outage's minutes have no rollup row,
    # scored as 0 requests where a window holds none of them, and kept (they carry the run's
    # newest load, which the table's TTL counts from)
    events = {
        (LATE, LATE + BUCKET): {("latency_p50_ms", "up"), ("latency_p95_ms", "up")},
        (OUTAGE, OUTAGE + 3 * BUCKET): {("requests", "down")},
        (SPIKE, SPIKE + BUCKET): {("error_rate", "up")},
    }
    for window, metric, direction in flagged:
        kinds = [k for (start, end), k in events.items() if _overlaps(window, start, end)]
        assert kinds and (metric, direction) in kinds[0], (window, metric, direction)
    # and the window of each event's own first five minutes flags every kind it may
    for (start, _), kinds in events.items():
        assert {(m, d) for w, m, d in flagged if w == start} == kinds, start
    # an outage window with no request at all: every one of them
    silent = [OUTAGE + i * MINUTE for i in range(11)]
    assert {w for w, m, _ in flagged if m == "requests"} >= set(silent)
    # scored from the second week on (a week of history is 13 samples), every window but those
    # holding the newest minute (still filling)
    [(first, last)] = client.query(
        "SELECT min(bucket_start), max(bucket_start) FROM ollive.anomaly_scores_5m"
    ).result_rows
    assert first.replace(tzinfo=UTC) >= MONDAY + timedelta(days=7)
    assert last.replace(tzinfo=UTC) == MONDAY + timedelta(days=23) - MINUTE - BUCKET

    dbt(server, tmp_path, "run", "--full-refresh", "-s", "anomaly_scores_5m")
    assert_rows_match(client.query(SCORES).result_rows, incremental)

    # the checks: the spike's windows are open (within 30 minutes of the newest scored window),
    # the late latency bucket's are not; a family with no anomaly passes
    spike = open_anomalies(client, "error_rate")
    assert {row["series"] for row in spike} == {"p/chat/openai/gpt-4o-mini"}
    [aligned] = [
        row
        for row in spike
        if datetime.fromisoformat(row["bucket_start"]).replace(tzinfo=UTC) == SPIKE
    ]
    assert aligned["observed"] == pytest.approx(0.4, abs=0.01)
    assert open_anomalies(client, "latency_p95_ms") == []
    resource = ClickHouseResource(
        host=server.host, port=server.port, username=server.user, password=server.password
    )
    for metric, warns in [("error_rate", True), ("requests", False)]:
        check = build_anomaly_check(dg.AssetKey("anomalies_5m"), metric, metric)
        result = check(dg.build_asset_check_context(resources={"clickhouse": resource}))
        assert result.passed is not warns
        assert result.severity == dg.AssetCheckSeverity.WARN
        assert result.metadata["open_anomalies"].value == (len(spike) if warns else 0)
