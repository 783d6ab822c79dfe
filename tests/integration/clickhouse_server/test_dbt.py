"""dbt-clickhouse against the embedded server: `dbt debug`, then `dbt build` twice (the second
run takes the incremental paths, default and delete+insert) with generic tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "dbt_sample"
DBT = Path(sys.executable).parent / "dbt"


def _dbt(project: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=project,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result.stdout


def test_dbt_debug_and_build_twice(clickhouse_server, tmp_path):
    project = tmp_path / "dbt_sample"
    shutil.copytree(SAMPLE, project)
    env = {
        **os.environ,
        "DBT_CLICKHOUSE_PORT": str(clickhouse_server.port),
        "DBT_CLICKHOUSE_USER": clickhouse_server.user,
        "DBT_CLICKHOUSE_PASSWORD": clickhouse_server.password,
        "DBT_CLICKHOUSE_SCHEMA": "dbt_sample",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
    }
    assert "All checks passed" in _dbt(project, env, "debug")
    _dbt(project, env, "build")
    second = _dbt(project, env, "build")
    assert "Completed successfully" in second

    client = clickhouse_server.client()
    for model in ("events_table", "events_incremental", "events_delete_insert"):
        rows = client.query(f"SELECT count(), uniqExact(event_id) FROM dbt_sample.{model}")
        assert rows.result_rows == [(4, 4)], model
    totals = client.query(
        "SELECT user_name, count_events FROM dbt_sample.user_totals_view ORDER BY user_name"
    )
    assert totals.result_rows == [("ada", 2), ("bob", 1), ("cyd", 1)]
