"""Start, stop and report the services of the embedded stack, in dependency order.

`up` records each process it started (pid + start time) under `<state>/run/`; `down` stops
exactly those, newest first, and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ollive.stack.ports import require_free
from ollive.stack.process import RunningService, ServiceSpec, launch, load, save

NAME_WIDTH = 20  # the longest service name, dagster-code-server, and a space

Report = Callable[[str], None]


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    running: bool
    pid: int | None
    url: str
    log_file: str


class Supervisor:
    """The stack's process table, kept as files under the state directory."""

    def __init__(self, state_dir: Path, host: str) -> None:
        self.state_dir = state_dir
        self.host = host
        self.run_dir = state_dir / "run"
        self.log_dir = state_dir / "logs"

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.json"

    def running(self, name: str) -> RunningService | None:
        service = load(self.pid_file(name))
        return service if service and service.alive() else None

    def up(self, specs: list[ServiceSpec], report: Report = print) -> None:
        """Start every service not already running, wave by wave, each wave in parallel.

        A taken port fails before anything starts; a service that fails to start fails the
        command once the rest of its wave has settled (what did start stays recorded for `down`).
        """
        pending = [spec for spec in specs if not self.running(spec.name)]
        for spec in pending:
            require_free(spec.name, self.host, spec.ports)
        for spec in specs:
            if spec not in pending:
                report(f"  {spec.name:<{NAME_WIDTH}} already running  {spec.url}")
        for wave in sorted({spec.wave for spec in pending}):
            members = [spec for spec in pending if spec.wave == wave]
            with ThreadPoolExecutor(max_workers=len(members)) as pool:
                futures = [pool.submit(self._start, spec, report) for spec in members]
            errors = [f.exception() for f in futures if f.exception() is not None]
            if errors:
                raise errors[0]

    def _start(self, spec: ServiceSpec, report: Report) -> None:
        report(f"  {spec.name:<{NAME_WIDTH}} starting …")
        started = time.monotonic()
        service = launch(spec, self.log_dir / f"{spec.name}.log")
        save(service, self.pid_file(spec.name))
        took = time.monotonic() - started
        report(f"  {spec.name:<{NAME_WIDTH}} up in {took:4.1f}s (pid {service.pid})  {spec.url}")

    def down(self, report: Report = print) -> list[str]:
        """Stop what `up` started, in reverse start order; returns the names stopped."""
        stopped: list[str] = []
        files = sorted(self.run_dir.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for pid_file in files:
            service = load(pid_file)
            if service and service.stop():
                report(f"  {service.name:<{NAME_WIDTH}} stopped")
                stopped.append(service.name)
            pid_file.unlink(missing_ok=True)
        return stopped

    def status(self, specs: list[ServiceSpec]) -> list[ServiceStatus]:
        rows = []
        for spec in specs:
            service = self.running(spec.name)
            rows.append(
                ServiceStatus(
                    name=spec.name,
                    running=service is not None,
                    pid=service.pid if service else None,
                    url=spec.url,
                    log_file=str(self.log_dir / f"{spec.name}.log"),
                )
            )
        return rows
