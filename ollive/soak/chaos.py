"""Faults: `kill -9` a service of the embedded stack and bring it back through its supervisor,
or `kill -9` a Dagster run's process while it loads; each timed until it has recovered.

A service is killed with its whole process group (what a crashed container loses: the ingest
API's prepare workers, the code server's run processes); the restart is `ollive up`'s own
`Supervisor.up`, which starts what is not running and waits until it is healthy.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from ollive.soak import warehouse
from ollive.stack.ports import PortInUseError
from ollive.stack.process import ServiceSpec, StartError
from ollive.stack.supervisor import Supervisor

SERVICE_FAULTS = ("ingest_api", "seaweedfs", "clickhouse", "dagster-daemon", "dagster-code-server")
RUN_FAULT = "dagster-run"
FAULT_KINDS = (*SERVICE_FAULTS, RUN_FAULT)
LOAD_JOB = "load_raw_objects"
# where a run's process id is written: Dagster's default launcher logs it, others tag the run
_RUN_PID = re.compile(r"Started process for run \(pid: (\d+)\)")
PID_TAG = "ollive/run_worker_pid"


@dataclass(frozen=True)
class Fault:
    """One injected fault: what, when (seconds into the soak), how long until recovered."""

    kind: str
    at_s: float
    recovery_s: float | None  # None: not recovered within the time allowed
    detail: str = ""


class Chaos:
    """Kills and restarts the services of one stack; `inject(kind)` does one fault."""

    def __init__(
        self,
        supervisor: Supervisor,
        specs: list[ServiceSpec],
        dagster_home: Path,
        clickhouse: Callable[[], Any],
        say: Callable[[str], None] = print,
    ) -> None:
        self.supervisor = supervisor
        self.specs = {spec.name: spec for spec in specs}
        self.dagster_home = dagster_home
        self.clickhouse = clickhouse  # a new client each time: the server may have restarted
        self.say = say
        # a second fault on a service waits until the first one's restart is done
        self._busy = {name: threading.Lock() for name in self.specs}

    def inject(self, kind: str, at_s: float) -> Fault:
        if kind == RUN_FAULT:
            return self.kill_load_run(at_s)
        return self.kill_service(kind, at_s)

    def kill_service(self, name: str, at_s: float) -> Fault:
        """`kill -9` the service's process group, then restart it and wait until healthy."""
        with self._busy[name]:
            return self._kill_service(name, at_s)

    def _kill_service(self, name: str, at_s: float) -> Fault:
        running = self.supervisor.running(name)
        if running is None:
            return Fault(name, at_s, None, "was not running")
        killed = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(running.pid, signal.SIGKILL)
        while running.alive() and time.monotonic() - killed < 10:
            time.sleep(0.05)
        try:
            self.restart(name)
        except (PortInUseError, StartError) as error:
            return Fault(name, at_s, None, f"pid {running.pid}; not restarted: {error}")
        return Fault(name, at_s, time.monotonic() - killed, f"pid {running.pid}")

    def restart(self, name: str, timeout_s: float = 1800.0) -> None:
        """Start `name` again, as `ollive up` would; a port still held for a moment by the dying
        group, or a start slower than the service's own timeout (a loaded machine), is retried."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.supervisor.up([self._patient(name)], report=lambda _line: None)
                return
            except (PortInUseError, StartError) as error:
                if time.monotonic() > deadline:
                    raise
                if isinstance(error, StartError):
                    self.say(f"  restart of {name} failed, trying again: {error}")
                time.sleep(1)

    def _patient(self, name: str) -> ServiceSpec:
        """The service's spec with time to start on a saturated machine: a start that times out
        is killed by `launch`, and the daemon's first heartbeats wait on a restarting code
        server (over 600 s at a load average of 25-33 on 2 cores, the code server killed again
        meanwhile)."""
        spec = self.specs[name]
        return dataclasses.replace(spec, start_timeout_s=max(spec.start_timeout_s, 1500.0))

    def ensure_up(self) -> list[str]:
        """Start every service that is down (after a fault whose restart failed); the names."""
        down = [name for name in self.specs if self.supervisor.running(name) is None]
        for name in down:
            with self._busy[name]:
                self.restart(name)
        return down

    def kill_load_run(self, at_s: float, wait_s: float = 120.0) -> Fault:
        """Wait for a load run that has started its step, `kill -9` its process, and time
        until the objects it was loading are loaded (by its retry, or by a later run the sensor
        requests for them)."""
        deadline = time.monotonic() + wait_s
        with dg.DagsterInstance.from_config(str(self.dagster_home)) as instance:
            while time.monotonic() < deadline:
                target = _loading_run(instance)
                if target is not None:
                    run_id, pid, keys = target
                    break
                time.sleep(0.2)
            else:
                return Fault(RUN_FAULT, at_s, None, f"no load run started within {wait_s:.0f}s")
            killed = time.monotonic()
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                return Fault(RUN_FAULT, at_s, None, f"run {run_id[:8]} ended before the kill")
        recovered = self._wait_loaded(keys, killed + 900)
        took = None if recovered is None else recovered - killed
        detail = f"run {run_id[:8]} pid {pid}, {len(keys)} objects"
        return Fault(RUN_FAULT, at_s, took, detail)

    def _wait_loaded(self, keys: list[str], until: float) -> float | None:
        """When every one of `keys` has a manifest row (None: not by `until`)."""
        while time.monotonic() < until:
            with contextlib.suppress(Exception):  # the server may be down for a moment
                if len(warehouse.manifest_status(self.clickhouse(), keys)) == len(keys):
                    return time.monotonic()
            time.sleep(1)
        return None


def _loading_run(instance: dg.DagsterInstance) -> tuple[str, int, list[str]] | None:
    """A STARTED load run whose step has begun: its id, its worker's pid, its object keys."""
    records = instance.get_run_records(
        dg.RunsFilter(job_name=LOAD_JOB, statuses=[dg.DagsterRunStatus.STARTED]), limit=5
    )
    for record in records:
        run_id = record.dagster_run.run_id
        logs = instance.all_logs(run_id)
        pids = [int(m[1]) for e in logs if (m := _RUN_PID.search(e.message or ""))]
        if PID_TAG in record.dagster_run.tags:  # a launcher that records it (the stack's own)
            pids.append(int(record.dagster_run.tags[PID_TAG]))
        stepped = any(e.dagster_event_type == dg.DagsterEventType.STEP_START for e in logs)
        if pids and stepped and _alive(pids[-1]):
            ops = record.dagster_run.run_config.get("ops", {}).values()
            keys = [key for op in ops for key in op.get("config", {}).get("object_keys", [])]
            return run_id, pids[-1], keys
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
