"""The anomaly models against the embedded ClickHouse: dbt's unit tests, then rollup rows with
a daily shape written into a table shaped as `agg_inference_5m`, scored in two incremental
runs (the second with a late rebuild of an old bucket), which must equal a full refresh; the
Dagster checks read the open anomalies back."""

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

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
BUCKET = timedelta(minutes=5)
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    ch = start_clickhouse_server(tmp_path_factory.mktemp("anomalies-clickhouse") / "data")
    ch.client().command("CREATE DATABASE ollive")
    ch.client().command(ROLLUP_DDL)
    yield ch
    ch.stop()


def test_anomalies_incremental_equals_full_refresh(server: ClickHouseServer, tmp_path: Path):
    client = server.client()
    built = dbt(server, tmp_path, "build", "-s", "tag:anomaly")
    assert "anomaly_scores_5m_daily_peak_is_not_flagged" in built

    # three weeks of history and the next day to noon, then the rest of the day with a late
    # rebuild of a bucket of the first batch (delete+insert, as the rollup does)
    client.insert("ollive.agg_inference_5m", _rows(MONDAY, SPIKE - timedelta(hours=12)), COLUMNS)
    dbt(server, tmp_path, "run", "-s", "anomaly_scores_5m")
    client.command(f"DELETE FROM ollive.agg_inference_5m WHERE bucket_start = '{LATE:%F %T}'")
    late = _row(LATE, latency_factor=4.0)
    late[-1] = SPIKE
    batch_2 = _rows(SPIKE - timedelta(hours=12), MONDAY + timedelta(days=23))
    client.insert("ollive.agg_inference_5m", [late, *batch_2], COLUMNS)
    dbt(server, tmp_path, "run", "-s", "anomaly_scores_5m")

    incremental = client.query(SCORES).result_rows
    flagged = client.query(FLAGGED).result_rows
    # the late bucket's whole latency distribution moved: its median and its p95 are flagged.
    # The outage's buckets have no rollup row: scored as 0 requests, flagged, and kept (they
    # carry the run's newest load, which the table's TTL counts from)
    assert [(b.replace(tzinfo=UTC), m, d) for b, m, d in flagged] == [
        (LATE, "latency_p50_ms", "up"),
        (LATE, "latency_p95_ms", "up"),
        *[(OUTAGE + i * BUCKET, "requests", "down") for i in range(3)],
        (SPIKE, "error_rate", "up"),
    ]
    # scored from the second week on (a week of history is 13 samples), every bucket but the
    # newest (still filling)
    [(first, last)] = client.query(
        "SELECT min(bucket_start), max(bucket_start) FROM ollive.anomaly_scores_5m"
    ).result_rows
    assert first.replace(tzinfo=UTC) >= MONDAY + timedelta(days=7)
    assert last.replace(tzinfo=UTC) == MONDAY + timedelta(days=23) - 2 * BUCKET

    dbt(server, tmp_path, "run", "--full-refresh", "-s", "anomaly_scores_5m")
    assert client.query(SCORES).result_rows == incremental

    # the checks: the spike is open (within 30 minutes of the newest scored bucket), the late
    # latency bucket is not; a family with no anomaly passes
    [spike] = open_anomalies(client, "error_rate")
    assert spike["series"] == "p/chat/openai/gpt-4o-mini"
    assert spike["observed"] == pytest.approx(0.4, abs=0.01)
    assert open_anomalies(client, "latency_p95_ms") == []
    resource = ClickHouseResource(
        host=server.host, port=server.port, username=server.user, password=server.password
    )
    for metric, warns in [("error_rate", True), ("requests", False)]:
        check = build_anomaly_check(dg.AssetKey("anomalies_5m"), metric, metric)
        result = check(dg.build_asset_check_context(resources={"clickhouse": resource}))
        assert result.passed is not warns
        assert result.severity == dg.AssetCheckSeverity.WARN
        assert result.metadata["open_anomalies"].value == int(warns)
