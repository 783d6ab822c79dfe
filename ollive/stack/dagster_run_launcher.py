"""A run launcher that forks each run from a warm worker instead of starting a fresh Python.

Dagster's default launcher asks the code server to start every run in a new interpreter
(`multiprocessing` spawn), which imports dagster, dagster-dbt (and with it dbt-core) and the
definitions again before the run's first step: 6-7 s on an idle core, 20-60 s on this shared
2-core machine, paid twice on each event's way to the rollups (a load run, then a dbt build).

`ForkingRunLauncher` keeps one long-lived worker process per code location (`python -m
ollive.stack.dagster_run_launcher`, a child of the process that launches runs: the daemon). The
worker imports the code location once and builds its repository; for each run it forks, and the
child executes the run exactly as `dagster api execute_run` would (`execute_run_command`, same
arguments): events, retries, run monitoring and cancellation behave as with any launcher. The
parent stays single-threaded (it reads one launch request per line from stdin and answers the
child's pid), so forking it is safe. When the code server reloads (its server id changes), the
launcher starts a new worker, so runs never execute older code than the code server shows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import Any

from dagster import _check as check
from dagster._core.launcher.base import (
    CheckRunHealthResult,
    LaunchRunContext,
    RunLauncher,
    WorkerStatus,
)
from dagster._core.storage.dagster_run import DagsterRun
from dagster._serdes import ConfigurableClass, serialize_value
from dagster._serdes.config_class import ConfigurableClassData

PID_TAG = "ollive/run_worker_pid"


class _Worker:
    """One warm worker process; `start` hands it a run and returns the run's pid."""

    def __init__(self, key: str, origin_json: str) -> None:
        self.key = key
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, origin_json],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def start(self, execute_run_args_json: str) -> int:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(execute_run_args_json + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer.strip().isdigit():
            raise RuntimeError(f"the run worker did not start the run (answered {answer!r})")
        return int(answer)

    def stop(self) -> None:
        """Close its stdin: it exits; the runs it forked keep running."""
        if self.process.stdin:
            self.process.stdin.close()


class ForkingRunLauncher(RunLauncher, ConfigurableClass):
    """Launches runs as forks of a worker that already imported the code location."""

    def __init__(self, inst_data: ConfigurableClassData | None = None) -> None:
        self._inst_data = inst_data
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict:
        return {}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> ForkingRunLauncher:
        return cls(inst_data=inst_data)

    def _worker_for(self, run: DagsterRun, context: LaunchRunContext) -> _Worker:
        """The worker of the run's code location, replaced when the code server reloaded."""
        origin = check.not_none(run.job_code_origin).repository_origin
        server_id = ""
        remote = run.remote_job_origin
        if context.workspace is not None and remote is not None:
            location = context.workspace.get_code_location(
                remote.repository_origin.code_location_origin.location_name
            )
            server_id = getattr(location, "server_id", "") or ""
        origin_json = serialize_value(origin)
        key = f"{origin_json}|{server_id}"
        if self._worker is None or self._worker.key != key or not self._worker.alive():
            if self._worker is not None:
                self._worker.stop()
            self._worker = _Worker(key, origin_json)
        return self._worker

    def launch_run(self, context: LaunchRunContext) -> None:
        from dagster._grpc.types import ExecuteRunArgs

        run = context.dagster_run
        args = ExecuteRunArgs(
            job_origin=check.not_none(run.job_code_origin),
            run_id=run.run_id,
            instance_ref=self._instance.get_ref(),
        )
        with self._lock:
            try:
                pid = self._worker_for(run, context).start(serialize_value(args))
            except (OSError, RuntimeError):  # the worker died: one fresh worker, one more try
                self._worker = None
                pid = self._worker_for(run, context).start(serialize_value(args))
        self._instance.add_run_tags(run.run_id, {PID_TAG: str(pid)})

    def terminate(self, run_id: str) -> bool:
        """SIGINT, as Dagster's own run processes are interrupted: the run ends as canceled."""
        if not self.has_instance:
            return False
        run = self._instance.get_run_by_id(run_id)
        if not run or run.is_finished or PID_TAG not in run.tags:
            return False
        self._instance.report_run_canceling(run)
        try:
            os.kill(int(run.tags[PID_TAG]), signal.SIGINT)
        except ProcessLookupError:
            return False
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        """The run's process exists (same host: the daemon forked it). Run monitoring fails a run
        whose process died, and run retries re-execute it."""
        if PID_TAG not in run.tags:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "no pid recorded yet")
        try:
            os.kill(int(run.tags[PID_TAG]), 0)
        except ProcessLookupError:
            return CheckRunHealthResult(WorkerStatus.NOT_FOUND, "the run's process is gone")
        except PermissionError:
            pass  # exists, owned by someone else
        return CheckRunHealthResult(WorkerStatus.RUNNING)

    def dispose(self) -> None:
        if self._worker is not None:
            self._worker.stop()


def _serve(origin_json: str) -> None:
    """The worker: import the code location once, then fork one child per launch request."""
    from dagster._cli.api import execute_run_command
    from dagster._core.origin import RepositoryPythonOrigin
    from dagster._serdes import deserialize_value
    from dagster._utils.hosted_user_process import recon_repository_from_origin

    origin = deserialize_value(origin_json, RepositoryPythonOrigin)
    working_directory = getattr(origin.code_pointer, "working_directory", None)
    if working_directory:
        os.chdir(working_directory)
        sys.path.insert(0, working_directory)
    recon_repository_from_origin(origin).get_definition()  # imports and builds it, once
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # finished runs are reaped by the kernel
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            # the run waits on its own subprocesses (dbt): restore default child handling
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.dup2(2, 1)  # the pid pipe is the parent's; the run's prints go to stderr
            code = 0
            try:
                execute_run_command.callback(input_json=line.strip(), compressed_input_json=None)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            except BaseException:  # dagster already reported it in the run log
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
        print(pid, flush=True)


if __name__ == "__main__":
    _serve(sys.argv[1])
