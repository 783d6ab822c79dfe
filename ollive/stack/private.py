"""A stack of its own on free loopback ports: what the tests, the benchmarks and the soak start
beside a user's `ollive up` stack, never on its ports or its state directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ollive.stack.ports import free_ports
from ollive_contract.settings import (
    ChatbotSettings,
    ClickHouseSettings,
    IngestSettings,
    ObjectStoreSettings,
    StackSettings,
    SupersetSettings,
)

PORTS = (
    "s3",
    "seaweedfs_master",
    "seaweedfs_volume",
    "seaweedfs_filer",
    "clickhouse",
    "ingest",
    "ingest_replica",
    "dagster",
    "dagster_code_server",
    "superset",
    "chatbot",
    "postgres",
)


def allocate_ports() -> dict[str, int]:
    """A free port for every service port of the stack, by name."""
    return dict(zip(PORTS, free_ports(len(PORTS)), strict=True))


def private_settings(
    state_dir: Path, ports: dict[str, int] | None = None, **settings: Any
) -> StackSettings:
    """The stack's settings with every port from `ports` (fresh free ones if None) and its
    state in `state_dir`; `settings` are further StackSettings fields (e.g. the profile)."""
    p = ports or allocate_ports()
    return StackSettings(
        state_dir=state_dir,
        seaweedfs_master_port=p["seaweedfs_master"],
        seaweedfs_volume_port=p["seaweedfs_volume"],
        seaweedfs_filer_port=p["seaweedfs_filer"],
        dagster_port=p["dagster"],
        dagster_code_server_port=p["dagster_code_server"],
        ingest_replica_port=p["ingest_replica"],
        postgres_port=p["postgres"],
        s3=ObjectStoreSettings(endpoint=f"http://127.0.0.1:{p['s3']}"),
        clickhouse=ClickHouseSettings(port=p["clickhouse"]),
        ingest=IngestSettings(port=p["ingest"]),
        superset=SupersetSettings(port=p["superset"]),
        chatbot=ChatbotSettings(port=p["chatbot"]),
        **settings,
    )
