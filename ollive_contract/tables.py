"""ClickHouse database and table names shared by the loader, dbt sources and the checks."""

from __future__ import annotations

STAGING_DATABASE = "ollive_staging"
MARTS_DATABASE = "ollive"

STAGING_TABLES: dict[str, str] = {
    "inference": "inference_events",
    "tool_execution": "tool_execution_events",
    "application": "application_events",
    "score": "score_events",
}
LOAD_MANIFEST_TABLE = "load_manifest"
QUARANTINE_TABLE = "quarantine"


def staging_table(log_type: str) -> str:
    """Fully qualified staging table of a log type."""
    return f"{STAGING_DATABASE}.{STAGING_TABLES[log_type]}"
