"""The clickhouse-connect line Superset 6.1.0 pins (`clickhouse-connect>=0.13.0,<1.0`, from its
wheel's METADATA) lists tables and runs a query as the read-only user — the way Superset's
`clickhousedb://` dialect uses the server. The pinned client runs from a cached throwaway venv;
the installed client runs the same script as the baseline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SUPERSET_PIN = "clickhouse-connect>=0.13.0,<1.0"
VENV = Path(__file__).resolve().parents[2] / ".ollive" / "cache" / "superset-clickhouse-connect"
SCRIPT = """
import sys, clickhouse_connect
host, port, user, password = sys.argv[1:5]
client = clickhouse_connect.get_client(host=host, port=int(port), username=user, password=password)
tables = client.query("SELECT name FROM system.tables WHERE database = 'default'").result_rows
assert ("superset_t",) in tables, tables
from importlib.metadata import version
total = client.query("SELECT sum(a) FROM superset_t").result_rows[0][0]
print(version("clickhouse-connect"), total)
"""


def _uv() -> str:
    """`uv run` exports its own path as `UV`; CI's PATH need not contain uv's install dir."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        pytest.fail("uv not found: run the tests with `make test` (it runs pytest through uv)")
    return uv


def _pinned_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        uv = subprocess.run(
            [_uv(), "venv", "--python", sys.executable, str(VENV)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if uv.returncode != 0:
            pytest.fail(f"cannot build a venv for the pinned client: {uv.stderr[-500:]}")
        install = subprocess.run(
            [_uv(), "pip", "install", "--python", str(python), SUPERSET_PIN],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if install.returncode != 0:
            pytest.fail(f"cannot install {SUPERSET_PIN}: {install.stderr[-500:]}")
    return python


@pytest.mark.parametrize("client", ["installed", "superset-pinned"])
def test_superset_client_lists_tables_and_queries(clickhouse_server, client):
    writer = clickhouse_server.client()
    writer.command("CREATE TABLE IF NOT EXISTS superset_t (a Int32) ENGINE = MergeTree ORDER BY a")
    writer.command("TRUNCATE TABLE superset_t")
    writer.command("INSERT INTO superset_t VALUES (1), (2), (3)")
    python = Path(sys.executable) if client == "installed" else _pinned_python()
    result = subprocess.run(
        [
            str(python),
            "-c",
            SCRIPT,
            clickhouse_server.host,
            str(clickhouse_server.port),
            clickhouse_server.readonly_user,
            clickhouse_server.readonly_password,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    version, total = result.stdout.split()
    assert total == "6"
    if client == "superset-pinned":
        assert version.startswith("0.")
