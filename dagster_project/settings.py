"""Settings of the Dagster code location, read from the environment once, in `definitions.py`.

The stack's shared settings (endpoints, credentials, state dir) come from `OlliveSettings`;
these are the orchestration's own knobs, under the same `OLLIVE_` prefix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class PipelineSettings(BaseSettings):
    """Which environment Dagster runs in and how the loader, dbt and the lake behave."""

    model_config = SettingsConfigDict(
        env_prefix="OLLIVE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["embedded", "production"] = Field(
        "embedded", description="embedded: the one-machine stack; production: docker compose."
    )
    s3_clickhouse_endpoint: str | None = Field(
        None, description="S3 endpoint as ClickHouse reaches it; defaults to the S3 endpoint."
    )
    clickhouse_secure: bool = Field(False, description="Talk HTTPS to ClickHouse.")
    dbt_project_dir: Path = Field(PROJECT_ROOT / "dbt_project", description="The dbt project.")
    dbt_target: str | None = Field(None, description="dbt target; the profile's default if unset.")
    loader_lookback_hours: int = Field(3, description="Hour prefixes the sensor re-lists.")
    loader_max_objects_per_run: int = Field(1000, description="Most objects per load run.")
    loader_parallelism: int = Field(4, description="Concurrent INSERTs per load run.")
    loader_objects_per_insert: int = Field(
        32, description="Objects of one hour prefix per INSERT in sensor loads and replays."
    )
    staging_ttl_days: int | None = Field(None, description="Staging TTL in days; unset: none.")
    lake_start_date: str = Field("2025-01-01", description="First day of the lake partitions.")
    staging_max_lag_minutes: float = Field(
        5, description="Freshness: oldest unloaded raw object may be at most this old."
    )
    rollup_max_lag_minutes: float = Field(
        10, description="Freshness: rollups must have been rebuilt within this many minutes."
    )
