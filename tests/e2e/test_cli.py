"""The `ollive` CLI as a user runs it: up, status, logs, down, and a taken port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from ollive.stack.process import load
from ollive_contract.settings import settings_env
from tests.fixtures.stack import stack_settings


def _ollive(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ollive.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    return settings_env(stack_settings(tmp_path / "state"))


def test_up_status_logs_down_stop_exactly_what_up_started(cli_env, tmp_path) -> None:
    decoy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        up = _ollive(cli_env, "up", "--only", "seaweedfs", "--only", "clickhouse")
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"http://127.0.0.1:{cli_env['OLLIVE_CLICKHOUSE_PORT']}" in up.stdout

        status = _ollive(cli_env, "status")
        # ingest_api and the rest were not asked for: status says so and exits non-zero
        assert status.returncode == 3
        assert "seaweedfs" in status.stdout and "clickhouse" in status.stdout

        logs = _ollive(cli_env, "logs", "clickhouse", "-n", "5")
        assert logs.returncode == 0

        run_dir = tmp_path / "state" / "run"
        started = {p.stem: load(p) for p in run_dir.glob("*.json")}
        assert set(started) == {"seaweedfs", "clickhouse"}

        down = _ollive(cli_env, "down")
        assert down.returncode == 0, down.stderr
        assert not any(service.alive() for service in started.values())
        assert decoy.poll() is None, "down stopped a process it did not start"
        assert list(run_dir.glob("*.json")) == []
    finally:
        decoy.kill()
        _ollive(cli_env, "down")


def test_a_taken_port_fails_before_anything_starts(cli_env) -> None:
    port = int(cli_env["OLLIVE_CLICKHOUSE_PORT"])
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        up = _ollive(cli_env, "up", "--only", "seaweedfs", "--only", "clickhouse")
    assert up.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in " ".join(up.stdout.split())
    assert "seaweedfs        up" not in up.stdout, "something started despite the taken port"
