"""A private stack's settings: every service on its own free port, none on the defaults a
user's `ollive up` stack listens on, and the same stack found again from its ports."""

from __future__ import annotations

from pathlib import Path

from ollive.stack.private import allocate_ports, private_settings
from ollive_contract.settings import StackSettings


def service_ports(s: StackSettings) -> list[int]:
    return [
        int(s.s3.endpoint.rsplit(":", 1)[1]),
        s.seaweedfs_master_port,
        s.seaweedfs_volume_port,
        s.seaweedfs_filer_port,
        s.clickhouse.port,
        s.ingest.port,
        s.ingest_replica_port,
        s.dagster_port,
        s.dagster_code_server_port,
        s.superset.port,
        s.chatbot.port,
        s.postgres_port,
    ]


def test_every_port_is_its_own_and_none_is_a_default(tmp_path: Path) -> None:
    ports = service_ports(private_settings(tmp_path))
    defaults = service_ports(StackSettings(state_dir=tmp_path))
    assert len(set(ports)) == len(ports)
    assert not set(ports) & set(defaults)


def test_the_same_ports_give_the_same_stack(tmp_path: Path) -> None:
    ports = allocate_ports()
    first = private_settings(tmp_path, ports)
    again = private_settings(tmp_path, dict(ports))
    assert service_ports(first) == service_ports(again) == list(ports.values())
    assert private_settings(tmp_path, ports, profile="postgres").profile == "postgres"
