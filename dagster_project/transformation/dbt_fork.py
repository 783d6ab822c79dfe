"""dbt commands run in a fork of the run's process instead of a new interpreter.

dagster-dbt starts every command as `dbt …` in a subprocess: a new Python that imports dbt-core
and the ClickHouse adapter before its first query (1-2 s on an idle core, more under load, on
every build after every load). A run process already has dbt-core's modules (dagster-dbt imports
them, and this module imports the CLI and the adapter, so the warm worker `ForkingRunLauncher`
forks runs from has them too); a fork of it runs the same command through `dbtRunner` at once.

The fork stands in for the `subprocess.Popen` dagster-dbt would create: its stdout and stderr are
a pipe carrying dbt's JSON log lines, it answers `wait`, `poll` and `send_signal`, and exits
with dbt's CLI exit code, so dagster-dbt streams, reports errors and interrupts it as it does a
subprocess. The child runs only dbt and leaves with `os._exit`: nothing of the run's state (its
threads, the event log connections) is used or cleaned up there.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import time
import traceback
import types
from collections.abc import Iterator, Mapping, Sequence

import dagster_dbt.core.dbt_cli_invocation as dbt_cli_invocation
import dbt.adapters.clickhouse  # imported once here, so a fork has it
import dbt.cli.main


class ForkedDbtProcess:
    """A `subprocess.Popen` look-alike whose process is a fork running `dbt args[1:]`."""

    def __init__(
        self,
        args: Sequence[str],
        stdout: int | None = None,
        stderr: int | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        self.args = list(args)
        self.returncode: int | None = None
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            _run_in_child(self.args[1:], write, env, cwd)  # never returns
        os.close(write)
        self.pid = pid
        self.stdout = os.fdopen(read, "rb")

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is None:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            elif time.monotonic() > deadline:
                raise TimeoutError(f"dbt (pid {self.pid}) still running after {timeout} s")
            else:
                time.sleep(0.05)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _run_in_child(
    args: list[str],
    out: int,
    env: Mapping[str, str] | None,
    cwd: str | os.PathLike[str] | None,
) -> None:
    code = 2
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        stream = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
        sys.stdout = sys.stderr = stream
        if cwd is not None:
            os.chdir(cwd)
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        result = dbt.cli.main.dbtRunner().invoke(args)
        # dbt's CLI exit codes: 0 success, 1 a node failed, 2 dbt itself failed
        code = 0 if result.success else (1 if result.exception is None else 2)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
        os._exit(code)


@contextlib.contextmanager
def forked_dbt() -> Iterator[None]:
    """While open, dagster-dbt's `DbtCliInvocation.run` starts dbt as a `ForkedDbtProcess`."""
    original = dbt_cli_invocation.subprocess
    shim = types.SimpleNamespace(Popen=ForkedDbtProcess, PIPE=original.PIPE, STDOUT=original.STDOUT)
    dbt_cli_invocation.subprocess = shim  # type: ignore[assignment]
    try:
        yield
    finally:
        dbt_cli_invocation.subprocess = original
