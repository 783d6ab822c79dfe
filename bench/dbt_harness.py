"""Shared by the dbt benchmarks: a private embedded ClickHouse, timed dbt commands, progress.

Not `dbt_common.py`: a bench script runs with `bench/` first on `sys.path`, where that name would
shadow dbt's own `dbt_common` package for everything the script imports (the stack imports dbt).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import clickhouse_connect
import httpx

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
PASSWORD = "bench-password"
# keep every row: history longer than the retention (90 days of facts by default) would lose its
# oldest events to the TTL, and the benches check every staged event is kept
TTLS_OFF = {"OLLIVE_PIPELINE_FACT_TTL_DAYS": "0", "OLLIVE_PIPELINE_ROLLUP_TTL_DAYS": "0"}


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Server:
    """A private embedded ClickHouse server on a free port."""

    def __init__(self, path: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clickhouse_server", "--path", str(path),
             "--port", str(self.port), "--log-level", "warning"],
            env={**os.environ, "OLLIVE_CLICKHOUSE_PASSWORD": PASSWORD},
        )  # fmt: skip
        for _ in range(600):
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/ping", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        self.client = clickhouse_connect.get_client(
            host="127.0.0.1", port=self.port, password=PASSWORD, send_receive_timeout=3600
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


# the dbt node of a query, from the comment dbt-clickhouse puts in front of it ('' if none)
DBT_NODE = """extract(query, '"node_id": "[a-z_]+[.]ollive[.]([a-z0-9_]+)"')"""


def by_dbt_node(client, since: str, aggregate: str) -> dict[str, int]:
    """`aggregate` over each dbt node's finished queries since `since` (the server's
    `now64(6)` before the build), from `system.query_log`; queries without a node under `""`."""
    client.command("SYSTEM FLUSH LOGS")
    result = client.query(
        f"""SELECT {DBT_NODE} AS node, {aggregate}
            FROM system.query_log
            WHERE type = 'QueryFinish' AND event_time_microseconds >= {{since:DateTime64(6)}}
            GROUP BY node""",
        parameters={"since": since},
    )
    return {node: int(value) for node, value in result.result_rows}


def dbt(server: Server, workdir: Path, *args: str, project: Path = PROJECT) -> float:
    """Wall time of a dbt command against `server` on `project`; its target and logs go under
    `workdir`."""
    env = {
        **os.environ,
        "OLLIVE_CLICKHOUSE_PORT": str(server.port),
        "OLLIVE_CLICKHOUSE_PASSWORD": PASSWORD,
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **TTLS_OFF,
    }
    started = time.perf_counter()
    result = subprocess.run(
        [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        env=env, capture_output=True, text=True, cwd=project,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"dbt {' '.join(args)} failed:\n{result.stdout[-5000:]}")
    return elapsed
