"""One managed service process: start detached, record who it is, wait for health, stop it.

A pid file alone is not proof of identity (pids are recycled), so it also records the process
start time from /proc; `stop` only signals a process whose start time still matches.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HealthCheck = Callable[[], bool]


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks; None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # fields after the parenthesised command name: state is field 3, starttime field 22
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


@dataclass
class ServiceSpec:
    """How to run one service of the stack."""

    name: str
    argv: list[str]
    ports: list[int]
    health: HealthCheck
    url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    start_timeout_s: float = 60.0
    stop_timeout_s: float = 30.0
    wave: int = 0  # services of one wave start together, after every earlier wave is healthy
    before_start: Callable[[Path], None] | None = None  # gets the log file; may raise
    after_start: Callable[[], None] | None = None
    # what asks it to stop (PostgreSQL: SIGINT, its fast shutdown; on SIGTERM it waits for
    # every client, and its backends, each in a session of its own, miss the group's signal)
    stop_signal: int = signal.SIGTERM


@dataclass
class RunningService:
    """What `up` records about a started service, so `down` stops exactly it."""

    name: str
    pid: int
    start_ticks: int
    log_file: str
    stop_timeout_s: float = 30.0
    stop_signal: int = signal.SIGTERM

    def alive(self) -> bool:
        return _start_ticks(self.pid) == self.start_ticks

    def stop(self, timeout_s: float | None = None) -> bool:
        """Signal the process group (SIGTERM unless the service asks for another), SIGKILL
        after the grace period; True if it was up."""
        timeout_s = self.stop_timeout_s if timeout_s is None else timeout_s
        if not self.alive():
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, self.stop_signal)
        deadline = time.monotonic() + timeout_s
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        # the group is this service's alone (own session): whatever is left of it goes too
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        return True


class StartError(RuntimeError):
    """A service did not become healthy in time."""


def launch(spec: ServiceSpec, log_file: Path) -> RunningService:
    """Start `spec` in its own session (so a stop reaches its children) and wait until healthy."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    if spec.before_start:
        spec.before_start(log_file)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            spec.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **spec.env},
            cwd=spec.cwd,
            start_new_session=True,
        )
    running = RunningService(
        spec.name,
        proc.pid,
        _start_ticks(proc.pid) or 0,
        str(log_file),
        spec.stop_timeout_s,
        int(spec.stop_signal),
    )
    deadline = time.monotonic() + spec.start_timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StartError(
                f"{spec.name} exited with code {proc.returncode} while starting; "
                f"see {log_file} (last lines: {_tail(log_file)})"
            )
        if _healthy(spec.health):
            if spec.after_start:
                spec.after_start()
            return running
        time.sleep(0.2)
    running.stop()
    raise StartError(f"{spec.name} not healthy after {spec.start_timeout_s:.0f}s; see {log_file}")


def _healthy(check: HealthCheck) -> bool:
    try:
        return check()
    except Exception:
        return False


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def save(running: RunningService, pid_file: Path) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(json.dumps(running.__dict__))


def load(pid_file: Path) -> RunningService | None:
    try:
        return RunningService(**json.loads(pid_file.read_text()))
    except (OSError, ValueError, TypeError):
        return None
