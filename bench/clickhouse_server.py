"""Benchmark of the embedded ClickHouse server: query round trip and Native insert throughput.

Starts a server on a free port with a temporary path, prints `name: value unit` lines and
writes the same as JSON to bench/results/clickhouse_server.json.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import clickhouse_connect
import httpx

PASSWORD = "bench-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "OLLIVE_CLICKHOUSE_PASSWORD": PASSWORD}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clickhouse_server",
                "--path",
                f"{tmp}/data",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        try:
            for _ in range(300):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            figures = run(port)
        finally:
            server.terminate()
            server.wait(60)
    for name, (value, unit) in figures.items():
        print(f"{name}: {value:.3f} {unit}")
    out = Path(__file__).parent / "results" / "clickhouse_server.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({k: {"value": v, "unit": u} for k, (v, u) in figures.items()}))


def run(port: int) -> dict[str, tuple[float, str]]:
    client = clickhouse_connect.get_client(host="127.0.0.1", port=port, password=PASSWORD)
    http = httpx.Client(auth=("default", PASSWORD))
    figures: dict[str, tuple[float, str]] = {}

    for name, call in {
        "select1_clickhouse_connect": lambda: client.query("SELECT 1"),
        "select1_raw_http": lambda: http.post(f"http://127.0.0.1:{port}/", content="SELECT 1"),
    }.items():
        for _ in range(50):
            call()
        times = []
        for _ in range(500):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        figures[f"{name}_p50"] = (statistics.median(times), "ms")
        figures[f"{name}_p95"] = (_percentile(times, 0.95), "ms")

    client.command(
        "CREATE TABLE bench (n UInt64, s String, ts DateTime) ENGINE = MergeTree ORDER BY n"
    )
    rows = [[n, f"event {n}", 1_700_000_000 + n] for n in range(200_000)]
    started = time.perf_counter()
    for _ in range(5):
        client.insert("bench", rows, column_names=["n", "s", "ts"])
    elapsed = time.perf_counter() - started
    figures["native_insert"] = (5 * len(rows) / elapsed, "rows/s")

    started = time.perf_counter()
    result = client.query("SELECT * FROM bench")
    elapsed = time.perf_counter() - started
    figures["native_select"] = (result.row_count / elapsed, "rows/s")
    return figures


if __name__ == "__main__":
    main()
