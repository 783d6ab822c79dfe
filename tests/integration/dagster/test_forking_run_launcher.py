"""`ForkingRunLauncher` (the embedded stack's launcher) against a real SQLite instance: runs
execute in a fork of one warm worker, are cancelled by `terminate`, and a run whose process
died is reported to run monitoring."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.launcher.base import WorkerStatus

from ollive.stack.dagster_home import write_dagster_home
from ollive.stack.dagster_run_launcher import PID_TAG, ForkingRunLauncher
from tests.integration.dagster import forked_jobs

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def instance(tmp_path: Path):
    home = tmp_path / "dagster"
    write_dagster_home(home)  # the stack's own dagster.yaml, with its launcher
    with dg.DagsterInstance.from_config(str(home)) as current:
        assert isinstance(current.run_launcher, ForkingRunLauncher)
        yield current


def launch(instance: dg.DagsterInstance, job: dg.JobDefinition, run_config: dict) -> str:
    recon = dg.reconstructable(getattr(forked_jobs, job.name))
    # the origin a code server gives its runs: the module and the working directory
    origin = recon.get_python_origin()
    run = instance.create_run_for_job(job_def=job, run_config=run_config, job_code_origin=origin)
    instance.launch_run(run.run_id, workspace=None)
    return run.run_id


def wait_for(instance: dg.DagsterInstance, run_id: str, timeout: float = 120) -> dg.DagsterRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run and run.is_finished:
            return run
        time.sleep(0.2)
    raise TimeoutError(f"run {run_id} did not finish in {timeout:.0f}s")


def test_runs_fork_from_one_warm_worker(instance: dg.DagsterInstance, tmp_path: Path) -> None:
    outs = [tmp_path / "first", tmp_path / "second"]
    run_ids = [
        launch(
            instance,
            forked_jobs.record_process_job,
            {"ops": {"record_process": {"config": {"out": str(out)}}}},
        )
        for out in outs
    ]
    runs = [wait_for(instance, run_id) for run_id in run_ids]
    assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS] * 2
    pids = [tuple(int(p) for p in out.read_text().split()) for out in outs]
    # two processes, neither the test's, both importing nothing: the worker imported the job
    (first_run, first_import), (second_run, second_import) = pids
    assert first_run != second_run and os.getpid() not in (first_run, second_run)
    assert first_import == second_import != first_run
    assert [int(run.tags[PID_TAG]) for run in runs] == [first_run, second_run]


def test_terminate_cancels_the_run(instance: dg.DagsterInstance) -> None:
    run_id = launch(instance, forked_jobs.wait_job, {"ops": {"wait": {"config": {"seconds": 60}}}})
    deadline = time.monotonic() + 60
    while instance.get_run_by_id(run_id).status != dg.DagsterRunStatus.STARTED:
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.2)
    assert instance.run_launcher.terminate(run_id)
    assert wait_for(instance, run_id, timeout=60).status == dg.DagsterRunStatus.CANCELED


def test_a_killed_run_process_is_reported_gone(instance: dg.DagsterInstance) -> None:
    run_id = launch(instance, forked_jobs.wait_job, {"ops": {"wait": {"config": {"seconds": 60}}}})
    run = instance.get_run_by_id(run_id)
    launcher = instance.run_launcher
    assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
    os.kill(int(run.tags[PID_TAG]), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while launcher.check_run_worker_health(run).status != WorkerStatus.NOT_FOUND:
        assert time.monotonic() < deadline, "a killed run still looks alive"
        time.sleep(0.1)
