"""The rollups' incremental path on the real engine: a later copy that moves an event to another
bucket rebuilds both buckets, and the swap of rebuilt buckets is atomic for readers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from ollive_contract.tables import staging_table
from tests.fixtures.clickhouse import ClickHouseServer, start_staged_clickhouse_server
from tests.fixtures.dbt_cli import run_dbt as dbt

T0 = datetime(2026, 3, 2, 23, 50, tzinfo=UTC)
# what a build after loads runs for inferences (no tests: they are not what is measured here)
BUILD = ("build", "-s", "+agg_inference_5m", "--exclude-resource-type", "test", "unit_test")
BUCKETS = """
SELECT toString(bucket_start), requests FROM ollive.agg_inference_5m ORDER BY bucket_start"""


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[ClickHouseServer]:
    """A private server per test: the staging database name is fixed."""
    ch = start_staged_clickhouse_server(tmp_path / "data")
    yield ch
    ch.stop()


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def inference(n: int, started: datetime, received: datetime) -> dict:
    return {
        "event_id": f"01940000-0000-7000-8000-{n:012x}",
        "project_id": "proj-a",
        "service": "chat-api",
        "started_at": _ts(started),
        "received_at": _ts(received),
        "schema_version": 1,
        "_object_key": f"raw/test/{received:%H%M%S}.ndjson.gz",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "status": "ok",
        "latency_ms": 100.0 + n % 50,
    }


def load(server: ClickHouseServer, rows: list[dict]) -> None:
    body = b"\n".join(orjson.dumps(row) for row in rows)
    server.client().raw_insert(staging_table("inference"), insert_block=body, fmt="JSONEachRow")


def test_a_moved_event_leaves_its_old_bucket(server: ClickHouseServer, tmp_path: Path) -> None:
    """Event 1 first said 23:51 (bucket 23:50), its SDK retry says 00:07 the next day: both
    buckets, in two day partitions, are rebuilt; the result equals a full refresh."""
    minute = timedelta(minutes=1)
    load(
        server,
        [
            inference(1, T0 + 1 * minute, T0 + 2 * minute),
            inference(2, T0 + 2 * minute, T0 + 2 * minute),
            inference(3, T0 + 15 * minute, T0 + 16 * minute),
        ],
    )
    dbt(server, tmp_path, *BUILD)
    before = {"2026-03-02 23:50:00": 2, "2026-03-03 00:05:00": 1}
    assert dict(server.client().query(BUCKETS).result_rows) == before

    load(server, [inference(1, T0 + 17 * minute, T0 + 20 * minute)])
    dbt(server, tmp_path, *BUILD)
    after = {"2026-03-02 23:50:00": 1, "2026-03-03 00:05:00": 2}
    assert dict(server.client().query(BUCKETS).result_rows) == after
    assert server.client().query("SELECT count() FROM ollive.agg_inference_5m").result_rows == [
        (2,)
    ]  # one row per bucket and dimensions: no stale copy left behind

    dbt(server, tmp_path, *BUILD, "--full-refresh")
    assert dict(server.client().query(BUCKETS).result_rows) == after


def test_readers_never_see_a_batch_missing(server: ClickHouseServer, tmp_path: Path) -> None:
    """While an incremental build rebuilds every bucket of the day (new events land in each),
    a reader polling the day's total never sees it lower than before the build."""
    base = [inference(n, T0 - timedelta(seconds=5 * n), T0) for n in range(4000)]
    load(server, base)
    dbt(server, tmp_path, *BUILD)
    total_sql = "SELECT sum(requests) FROM ollive.agg_inference_5m"
    [(before,)] = server.client().query(total_sql).result_rows
    assert before == 4000

    new = [inference(10_000 + n, T0 - timedelta(seconds=5 * n + 1), T0 + timedelta(minutes=5))
           for n in range(4000)]  # fmt: skip
    load(server, new)
    seen: list[int] = []
    done = threading.Event()

    def read() -> None:
        client = server.client()
        while not done.is_set():
            seen.append(int(client.query(total_sql).result_rows[0][0] or 0))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        dbt(server, tmp_path, *BUILD)
    finally:
        done.set()
        reader.join()
    [(after,)] = server.client().query(total_sql).result_rows
    assert after == 8000
    assert len(seen) > 20, "the reader must overlap the build"
    assert min(seen) >= before, f"a reader saw {min(seen)} < {before} during the swap"
