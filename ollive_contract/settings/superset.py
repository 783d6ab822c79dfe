"""Superset as the embedded stack and compose run it.

`superset_config/superset_config.py` runs inside Superset's own virtualenv, without this
package, and reads these same variables there; a test holds the two to the same names.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from ollive_contract.settings.base import env_config


class SupersetSettings(BaseSettings):
    """Port, admin account, secret and metadata database of Superset."""

    model_config = env_config("OLLIVE_SUPERSET_")

    port: int = Field(8088, description="Port of Superset.")
    admin_user: str = Field("admin", description="Superset admin the bootstrap creates.")
    admin_email: str = Field("admin@ollive.local", description="E-mail of that admin.")
    admin_password: SecretStr | None = Field(
        None, description="Admin password; generated once into <state_dir>/superset/ when unset."
    )
    secret_key: SecretStr | None = Field(
        None,
        description=(
            "SECRET_KEY (>= 32 chars, never a default); generated into <state_dir>/superset/ "
            "when unset on the embedded stack."
        ),
    )
    database_uri: SecretStr | None = Field(
        None, description="Metadata database; SQLite under <state_dir>/superset/ when unset."
    )
    state_dir: str | None = Field(
        None, description="Superset's files (SQLite, caches); the launcher sets it."
    )
    data_cache_seconds: int = Field(60, description="Seconds a chart result stays cached.")
    action_log: Literal["background", "request", "off"] = Field(
        "background",
        description=(
            "Superset's action log (its `logs` table): `background` writes it from a thread "
            "in batches, `request` inside each request as Superset does (four commits per chart "
            "request), `off` keeps none."
        ),
    )
    reuse_clickhouse_connections: bool = Field(
        True,
        description=(
            "Each Superset worker keeps one ClickHouse connection per database instead of "
            "opening a client (three queries to the server) for every chart query."
        ),
    )
    behind_proxy: bool = Field(False, description="Trust X-Forwarded-* from a reverse proxy.")
    secure_cookies: bool = Field(False, description="Session cookies over HTTPS only.")
    tenants: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            'Projects and their Superset users, e.g. {"acme":["alice"]}: each project gets a '
            "role whose row-level security shows only its rows (docs/tenancy.md)."
        ),
    )
