"""The whole pipe, end to end on the running embedded stack: what `ollive demo` does, checked.

SDK → ingest API → NDJSON.gz objects in S3 → Dagster sensor → exactly-once load into staging →
dbt → facts and the 5-minute rollup.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ollive.demo import DEMO_SERVICE
from ollive.stack.services import s3_credentials
from ollive_contract.object_keys import ObjectKey
from ollive_contract.settings import settings_env
from tests.fixtures.demo import PII, PROBE_SERVICE


@pytest.fixture(scope="module")
def demo_result(pipeline_demo):
    """The session's demo traffic (tests/fixtures/demo.py), shared with the Superset tests."""
    return pipeline_demo


def test_every_sent_event_is_acknowledged(demo_result) -> None:
    sent = demo_result.sent
    assert demo_result.dropped == 0
    assert demo_result.acknowledged == sent.inferences + sent.tool_calls + sent.logs


def test_raw_objects_follow_the_key_layout_and_carry_no_raw_pii(
    embedded_stack, demo_result
) -> None:
    creds = s3_credentials(embedded_stack.settings)
    s3 = creds.client()
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=creds.bucket, Prefix="raw/")
        for o in page.get("Contents", [])
    ]
    assert keys
    lines = []
    for key in keys:
        ObjectKey.parse(key)  # raises on a key outside the layout
        body = s3.get_object(Bucket=creds.bucket, Key=key)["Body"].read()
        lines += [json.loads(line) for line in gzip.decompress(body).splitlines()]
    demo_ids = {e["event_id"] for e in lines if e["service"] == DEMO_SERVICE}
    assert set(demo_result.sent.event_ids) <= demo_ids
    probe = [e for e in lines if e["service"] == PROBE_SERVICE]
    assert len(probe) == 3
    assert all(e["pii_detected"] for e in probe)
    text = json.dumps(lines)
    for value in PII.values():
        assert value not in text


def test_each_event_reaches_facts_and_rollup_exactly_once(embedded_stack, demo_result) -> None:
    sent = demo_result.sent.inferences
    assert demo_result.reached == {"staged": sent, "in facts": sent, "in rollup": sent}
    ch = embedded_stack.clickhouse()
    distinct = ch.command(
        f"select uniqExact(event_id) from ollive.fct_inferences where service = '{DEMO_SERVICE}'"
    )
    assert int(distinct) == sent
    assert demo_result.rollup_rows, "the demo printed no rollup rows"


def test_read_only_user_reads_the_rollup_but_cannot_write(embedded_stack, demo_result) -> None:
    ro = embedded_stack.clickhouse(readonly=True)
    total = ro.command(
        f"select sum(requests) from ollive.agg_inference_5m where service = '{DEMO_SERVICE}'"
    )
    assert int(total) == demo_result.sent.inferences
    with pytest.raises(Exception, match=r"164|readonly"):
        ro.command("create table ollive.should_fail (x UInt8) engine = Memory")


def test_dbt_data_tests_pass_on_the_pipelines_marts(embedded_stack, demo_result, tmp_path) -> None:
    """Uniqueness, accepted values, rollup totals, no PII in any mart: on real pipeline data."""
    settings = embedded_stack.settings
    project = Path(__file__).resolve().parents[2] / "dbt_project"
    env = {
        **os.environ,
        **settings_env(settings),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    dbt = str(Path(sys.executable).with_name("dbt"))
    argv = [dbt, "test", "--exclude", "test_type:unit", "--project-dir", str(project)]
    done = subprocess.run(
        [*argv, "--profiles-dir", str(project)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "PASS=" in done.stdout and "ERROR=0" in done.stdout


def test_dagster_dbt_builds_run_data_tests_but_not_unit_tests(embedded_stack, demo_result) -> None:
    """The builds after loads test the data (asset checks); unit tests are left to `make test`."""
    import dagster as dg

    home = embedded_stack.settings.state_path / "dagster"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        builds = instance.get_run_records(
            dg.RunsFilter(job_name="dbt_build", statuses=[dg.DagsterRunStatus.SUCCESS])
        )
    assert builds, "no dbt_build run succeeded on the stack"
    target = Path(__file__).resolve().parents[2] / "dbt_project" / "target"
    kinds: set[str] = set()
    for record in builds:
        run_id = record.dagster_run.run_id
        for results in target.glob(f"ollive_dbt-{run_id[:7]}-*/run_results.json"):
            nodes = json.loads(results.read_text())["results"]
            kinds |= {node["unique_id"].split(".")[0] for node in nodes}
    assert {"model", "test"} <= kinds, kinds
    assert "unit_test" not in kinds


def test_stack_set_pool_limits_and_its_runs_skip_freshness_checks(
    embedded_stack, demo_result
) -> None:
    """`ollive up` stored every pool's limit before the first run; the loads and builds the
    sensors launched ran no freshness-check step (those are the schedule's)."""
    import dagster as dg

    from dagster_project.pools import managed_pools

    home = embedded_stack.settings.state_path / "dagster"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for pool in managed_pools():
            assert instance.event_log_storage.get_concurrency_info(pool).slot_count == 1, pool
        runs = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS]))
        sensor_runs = [
            r for r in runs if r.dagster_run.job_name in ("load_raw_objects", "dbt_build")
        ]
        assert sensor_runs
        steps = {
            entry.step_key
            for r in sensor_runs
            for entry in instance.all_logs(
                r.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_START
            )
        }
    assert steps and not [s for s in steps if "freshness" in s or "no_stale" in s], steps
