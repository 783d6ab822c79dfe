"""Shared fixtures: the embedded stack's real services, started once per test session."""

pytest_plugins = [
    "tests.fixtures.s3",
    "tests.fixtures.stack",
    "tests.fixtures.ingest",
    "tests.fixtures.clickhouse",
    "tests.fixtures.demo",
]
