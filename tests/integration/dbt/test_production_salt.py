"""The production target refuses the public user-id salt before it builds anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


def _parse(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OLLIVE_")},
        # production needs every connection setting; parse never connects
        "OLLIVE_PIPELINE_DBT_TARGET": "production",
        "OLLIVE_CLICKHOUSE_HOST": "127.0.0.1",
        "OLLIVE_CLICKHOUSE_PORT": "1",
        "OLLIVE_CLICKHOUSE_USER": "u",
        "OLLIVE_CLICKHOUSE_PASSWORD": "p",
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        **env,
    }
    argv = [str(DBT), "parse", "--no-partial-parse", "--project-dir", str(PROJECT)]
    return subprocess.run(
        [*argv, "--profiles-dir", str(PROJECT)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_production_without_a_salt_of_its_own_fails_with_a_clear_message(tmp_path: Path) -> None:
    for salt in ({}, {"OLLIVE_PIPELINE_USER_ID_SALT": "ollive-local-dev-salt"}):
        done = _parse(tmp_path, **salt)
        assert done.returncode != 0
        assert "OLLIVE_PIPELINE_USER_ID_SALT must be set to a secret of your own" in done.stdout


def test_production_with_a_salt_of_its_own_parses(tmp_path: Path) -> None:
    done = _parse(tmp_path, OLLIVE_PIPELINE_USER_ID_SALT="a-secret-of-this-deployment")
    assert done.returncode == 0, done.stdout[-3000:]
