"""What every settings class shares: where it reads from, and how it is written back out."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def env_config(prefix: str) -> SettingsConfigDict:
    """Environment variables under `prefix`, then `.env` in the working directory."""
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )


def env_name(settings: type[BaseSettings], field: str) -> str:
    """The environment variable that sets `field` of `settings` (for `dg.EnvVar`, docs, tests)."""
    info = settings.model_fields[field]
    alias = info.validation_alias
    if isinstance(alias, str):
        return alias
    return f"{settings.model_config.get('env_prefix', '')}{field}".upper()


def public_defaults(settings: type[BaseSettings]) -> dict[str, str]:
    """The secrets of `settings` whose defaults are written in this public repository, by
    environment variable: fine on the loopback-only embedded stack, refused in production."""
    return {
        env_name(settings, name): info.default.get_secret_value()
        for name, info in settings.model_fields.items()
        if isinstance(info.default, SecretStr)
    }


def settings_env(settings: BaseSettings) -> dict[str, str]:
    """The settings as the environment variables that reproduce them in a child process.

    Nested settings are spelled out under their own prefixes; unset optional values are left
    out, so the child falls back to the same defaults.
    """
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, BaseSettings):
            env.update(settings_env(value))
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, Path):
            value = value.resolve()
        elif isinstance(value, list | dict):
            value = json.dumps(value)
        env[env_name(type(settings), name)] = str(value)
    return env
