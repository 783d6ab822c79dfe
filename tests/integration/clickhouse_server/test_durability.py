"""Durability and concurrency: data survives a SIGTERM restart, concurrent clients lose
nothing, and a repeated insert_deduplication_token inserts once."""

from __future__ import annotations

import signal
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.fixtures.clickhouse import start_clickhouse_server


def test_data_survives_restart(tmp_path):
    server = start_clickhouse_server(tmp_path / "data")
    try:
        client = server.client()
        client.command("CREATE TABLE kept (n UInt64) ENGINE = MergeTree ORDER BY n")
        client.insert("kept", [[n] for n in range(1000)], column_names=["n"])
        client.command("CREATE DATABASE other")
        client.command("CREATE TABLE other.r (s String) ENGINE = ReplacingMergeTree ORDER BY s")
        client.command("INSERT INTO other.r VALUES ('a'), ('b')")
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why.
        assert server.stop() in (0, -signal.SIGTERM)
        assert "engine closed" in server.log_text()
        server.start()
        client = server.client()
        assert client.query("SELECT count(), sum(n) FROM kept").result_rows == [(1000, 499500)]
        assert client.query("SELECT count() FROM other.r FINAL").result_rows == [(2,)]
    finally:
        if server.process is not None:
            server.stop()


def test_concurrent_clients_lose_nothing(clickhouse_server):
    setup = clickhouse_server.client()
    table = f"conc_{uuid.uuid4().hex[:8]}"
    setup.command(f"CREATE TABLE {table} (w UInt8, n UInt32) ENGINE = MergeTree ORDER BY (w, n)")

    def work(worker: int) -> int:
        client = clickhouse_server.client()
        seen = 0
        for batch in range(10):
            rows = [[worker, batch * 100 + i] for i in range(100)]
            client.insert(table, rows, column_names=["w", "n"])
            seen = client.query(f"SELECT count() FROM {table} WHERE w = {worker}").result_rows[0][0]
        return seen

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(work, range(8)))
    assert counts == [1000] * 8
    assert setup.query(f"SELECT count(), uniqExact(w, n) FROM {table}").result_rows == [
        (8000, 8000)
    ]


def test_insert_deduplication_token_inserts_once(clickhouse_server):
    client = clickhouse_server.client()
    table = f"dedup_{uuid.uuid4().hex[:8]}"
    client.command(
        f"CREATE TABLE {table} (n UInt32) ENGINE = MergeTree ORDER BY n "
        "SETTINGS non_replicated_deduplication_window = 1000"
    )
    for _ in range(2):
        client.insert(
            table,
            [[1], [2], [3]],
            column_names=["n"],
            settings={"insert_deduplication_token": "object-key-1"},
        )
        client.command(
            f"INSERT INTO {table} SELECT number FROM numbers(5)",
            settings={"insert_deduplication_token": "object-key-2"},
        )
    assert client.query(f"SELECT count() FROM {table}").result_rows == [(8,)]
