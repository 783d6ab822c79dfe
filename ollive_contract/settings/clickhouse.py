"""The ClickHouse server every client talks to (the embedded chDB server locally)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from ollive_contract.settings.base import env_config


class ClickHouseSettings(BaseSettings):
    """Where ClickHouse answers over HTTP, and its read-write and read-only users."""

    model_config = env_config("OLLIVE_CLICKHOUSE_")

    host: str = Field("127.0.0.1", description="ClickHouse HTTP host.")
    port: int = Field(8123, description="ClickHouse HTTP port.")
    secure: bool = Field(False, description="Talk HTTPS to ClickHouse.")
    user: str = Field("default", description="Read-write user (loader, dbt).")
    password: SecretStr = Field(
        SecretStr("ollive-local-ch"), description="Password of the read-write user."
    )
    readonly_user: str = Field("analyst", description="Read-only user (Superset).")
    readonly_password: SecretStr = Field(
        SecretStr("ollive-local-analyst"), description="Password of the read-only user."
    )

    @property
    def url(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.host}:{self.port}"
