"""Superset fixtures: marts with known rows in the session's ClickHouse, and Superset on top."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from ollive.settings import OlliveSettings
from ollive.stack.ports import free_ports
from tests.superset.seed import seed
from tests.superset.superset_process import Superset, start_superset

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="session")
def superset_marts(clickhouse_server):
    """The marts Superset charts, filled with known rows (see seed.py)."""
    seed(clickhouse_server.client())
    return clickhouse_server


@pytest.fixture(scope="session")
def superset(superset_marts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Superset]:
    (port,) = free_ports(1)
    settings = OlliveSettings(
        state_dir=tmp_path_factory.mktemp("superset-state"),
        superset_port=port,
        clickhouse_port=superset_marts.port,
        clickhouse_readonly_user=superset_marts.readonly_user,
        clickhouse_readonly_password=SecretStr(superset_marts.readonly_password),
    )
    instance = start_superset(settings, settings.state_path / "logs")
    yield instance
    instance.stop()
