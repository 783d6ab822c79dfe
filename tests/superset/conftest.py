"""Superset fixtures: the one `ollive up` runs (embedded stack), on data that went through the
whole pipeline (the session's demo traffic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from superset_config.launch import superset_env
from tests.superset.superset_client import Superset, require_venv

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="session")
def superset(embedded_stack) -> Superset:
    """The stack's Superset (bootstrapped, bundle imported) and its admin's credentials."""
    require_venv()
    settings = embedded_stack.settings
    env = superset_env(settings)  # the secrets the service was started with, from the state dir
    return Superset(
        settings,
        f"http://{settings.host}:{settings.superset.port}",
        env["OLLIVE_SUPERSET_ADMIN_USER"],
        env["OLLIVE_SUPERSET_ADMIN_PASSWORD"],
        env,
    )


@pytest.fixture(scope="session")
def superset_data(superset, pipeline_demo, embedded_stack):
    """Superset once the demo's traffic is in every mart; the marts' read-only client."""
    return embedded_stack.clickhouse(readonly=True)
