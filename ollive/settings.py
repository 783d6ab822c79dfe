"""Typed configuration of the local stack, read from the environment (and `.env`) at the edge.

Every component takes the pieces it needs from here as arguments; nothing below the CLI and the
service entry points reads `os.environ` itself.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class OlliveSettings(BaseSettings):
    """Where the embedded stack keeps its state, where each service listens, and its credentials."""

    model_config = SettingsConfigDict(
        env_prefix="OLLIVE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    state_dir: Path = Field(Path(".ollive"), description="All local state: data, logs, pids.")
    host: str = Field("127.0.0.1", description="Loopback address every embedded service binds.")

    # object store (SeaweedFS S3 gateway locally, MinIO or S3 in production)
    s3_port: int = Field(8333, description="S3 gateway port of the embedded SeaweedFS.")
    seaweedfs_master_port: int = Field(9333, description="SeaweedFS master port (+10000 gRPC).")
    seaweedfs_volume_port: int = Field(18080, description="SeaweedFS volume port (+10000 gRPC).")
    seaweedfs_filer_port: int = Field(18888, description="SeaweedFS filer port (+10000 gRPC).")
    s3_endpoint: str | None = Field(
        None, description="S3 endpoint URL; defaults to the embedded SeaweedFS gateway."
    )
    s3_access_key: str = Field("ollive", description="S3 access key id.")
    s3_secret_key: SecretStr = Field(
        SecretStr("ollive-local-secret"), description="S3 secret access key."
    )
    s3_bucket: str = Field("ollive-raw", description="Bucket holding the raw NDJSON.gz objects.")
    s3_region: str = Field("us-east-1", description="S3 region name sent by clients.")

    # ClickHouse (embedded chDB server locally, a ClickHouse server in production)
    clickhouse_host: str = Field("127.0.0.1", description="ClickHouse HTTP host.")
    clickhouse_port: int = Field(8123, description="ClickHouse HTTP port.")
    clickhouse_user: str = Field("default", description="Read-write ClickHouse user.")
    clickhouse_password: SecretStr = Field(
        SecretStr("ollive-local-ch"), description="Password of the read-write user."
    )
    clickhouse_readonly_user: str = Field("analyst", description="Read-only user (Superset).")
    clickhouse_readonly_password: SecretStr = Field(
        SecretStr("ollive-local-analyst"), description="Password of the read-only user."
    )
    clickhouse_path: Path | None = Field(
        None,
        description="Data directory of the embedded ClickHouse (default: <state_dir>/clickhouse).",
    )
    clickhouse_server_threads: int = Field(
        64, description="Most engine calls the embedded ClickHouse server runs at once."
    )

    # ingest API
    ingest_port: int = Field(8000, description="Port of the ingest API.")
    demo_api_key: SecretStr = Field(
        SecretStr("olk_demo_local_only_key"),
        description="SDK key the local stack provisions for the demo project.",
    )

    # orchestration and dashboards
    dagster_port: int = Field(3000, description="Port of the Dagster webserver.")
    dagster_code_server_port: int = Field(
        4266, description="Port of the Dagster code server the webserver and daemon share (gRPC)."
    )
    superset_port: int = Field(8088, description="Port of Superset.")
    superset_admin_user: str = Field("admin", description="Superset admin the bootstrap creates.")
    superset_admin_password: SecretStr | None = Field(
        None, description="Admin password; generated once into <state_dir>/superset/ when unset."
    )
    superset_secret_key: SecretStr | None = Field(
        None, description="Superset SECRET_KEY; generated into <state_dir>/superset/ when unset."
    )
    chatbot_port: int = Field(8080, description="Port of the reference chatbot.")

    @cached_property
    def state_path(self) -> Path:
        return self.state_dir.resolve()

    @property
    def clickhouse_data_path(self) -> Path:
        return (self.clickhouse_path or self.state_path / "clickhouse").resolve()

    @property
    def s3_url(self) -> str:
        return self.s3_endpoint or f"http://{self.host}:{self.s3_port}"

    @property
    def clickhouse_url(self) -> str:
        return f"http://{self.clickhouse_host}:{self.clickhouse_port}"

    @property
    def ingest_url(self) -> str:
        return f"http://{self.host}:{self.ingest_port}"


def settings_env(settings: BaseSettings) -> dict[str, str]:
    """The settings as the environment variables that reproduce them in a child process."""
    prefix = settings.model_config.get("env_prefix", "")
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None or isinstance(value, BaseSettings):
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, Path):
            value = value.resolve()
        env[f"{prefix}{name}".upper()] = str(value)
    return env
