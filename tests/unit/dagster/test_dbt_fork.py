"""dbt in a fork of the run's process: what dagster-dbt reads from a dbt subprocess (JSON log
lines on stdout, the CLI's exit code), without starting a new interpreter."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dagster_project.transformation import dbt_fork
from ollive_contract.settings import PipelineSettings


def _run(args: list[str], target: Path) -> tuple[int, list[bytes]]:
    env = {**os.environ, "DBT_LOG_FORMAT": "json", "DBT_TARGET_PATH": str(target)}
    process = dbt_fork.ForkedDbtProcess(
        ["dbt", *args], env=env, cwd=PipelineSettings().dbt_project_dir
    )
    lines = list(process.stdout)
    return process.wait(), lines


def test_forked_dbt_streams_json_events_and_exit_codes(tmp_path: Path) -> None:
    code, lines = _run(["ls", "--select", "stg_inferences", "--resource-type", "model"], tmp_path)
    assert code == 0
    events = [json.loads(line) for line in lines if line.startswith(b"{")]
    assert "ollive.staging.stg_inferences" in {e["info"]["msg"] for e in events}
    assert (tmp_path / "manifest.json").exists()  # dbt wrote its artifacts where it was told
    code, _ = _run(["ls", "--no-such-flag"], tmp_path)
    assert code == 2


def test_dagster_dbt_gets_the_fork_only_inside_the_block() -> None:
    original = dbt_fork.dbt_cli_invocation.subprocess
    with dbt_fork.forked_dbt():
        assert dbt_fork.dbt_cli_invocation.subprocess.Popen is dbt_fork.ForkedDbtProcess
    assert dbt_fork.dbt_cli_invocation.subprocess is original


def test_a_build_leaves_its_parse_state_for_the_next(tmp_path: Path) -> None:
    """The next build starts from this build's partial-parse state; without one (dbt failed
    early) the build is not failed for it."""
    from dagster_project.transformation.assets import keep_parse_state

    run, project = tmp_path / "target" / "ollive_dbt-1", tmp_path / "target"
    run.mkdir(parents=True)
    (project / "partial_parse.msgpack").write_bytes(b"ollive up's parse")
    (run / "partial_parse.msgpack").write_bytes(b"the build's parse")
    keep_parse_state(run, project)
    assert (project / "partial_parse.msgpack").read_bytes() == b"the build's parse"
    assert sorted(p.name for p in project.iterdir()) == ["ollive_dbt-1", "partial_parse.msgpack"]
    keep_parse_state(tmp_path / "missing", project)
    assert (project / "partial_parse.msgpack").read_bytes() == b"the build's parse"
