"""A stack of its own for a soak: the services it needs on free loopback ports, in a state
directory of its own, started and stopped by `ollive up`'s supervisor."""

from __future__ import annotations

import json
from pathlib import Path

from ollive.stack.private import allocate_ports, private_settings
from ollive.stack.process import ServiceSpec
from ollive.stack.services import all_services
from ollive.stack.supervisor import Supervisor
from ollive_contract.settings import StackSettings

PORTS_FILE = "soak-ports.json"
SOAK_SERVICES = ("seaweedfs", "clickhouse", "ingest_api", "dagster-code-server", "dagster-daemon")


def soak_settings(state_dir: Path) -> StackSettings:
    """Settings on free ports, written to `<state_dir>/soak-ports.json` (a later accounting
    finds the stack again); the ports already written there if any."""
    ports_file = state_dir / PORTS_FILE
    if ports_file.exists():
        ports = json.loads(ports_file.read_text())
    else:
        ports = allocate_ports()
        state_dir.mkdir(parents=True, exist_ok=True)
        ports_file.write_text(json.dumps(ports))
    return private_settings(state_dir, ports)


def soak_specs(settings: StackSettings) -> list[ServiceSpec]:
    """The services the soak needs (no webserver, Superset or chatbot)."""
    return [spec for spec in all_services(settings) if spec.name in SOAK_SERVICES]


def start(settings: StackSettings) -> Supervisor:
    supervisor = Supervisor(settings.state_path, settings.host)
    supervisor.up(soak_specs(settings))
    return supervisor
