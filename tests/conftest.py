"""Fixture modules shared by every test, and the kind of each test from its folder.

`tests/unit` needs no service; `tests/integration` runs one component against its real parts
(SeaweedFS, the embedded ClickHouse server, Dagster, dbt); `tests/e2e` runs the pipeline.
Select a kind with `-m unit`, `-m integration` or `-m e2e`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.s3",
    "tests.fixtures.stack",
    "tests.fixtures.ingest",
    "tests.fixtures.ingest_app",
    "tests.fixtures.clickhouse",
    "tests.fixtures.demo",
    "tests.fixtures.sdk",
    "tests.fixtures.chatbot",
    "tests.fixtures.superset",
    "tests.fixtures.pipeline",
]

KINDS = ("unit", "integration", "e2e")
TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        kind = item.path.resolve().relative_to(TESTS).parts[0]
        if kind not in KINDS:
            raise pytest.UsageError(f"{item.nodeid}: tests live under tests/{{{','.join(KINDS)}}}")
        item.add_marker(getattr(pytest.mark, kind))
