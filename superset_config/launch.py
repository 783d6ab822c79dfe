"""How the stack supervisor runs Superset: the bootstrap and the web server, as (argv, env).

Stdlib only, so the pipeline's venv can import it (`from superset_config.launch import …`);
both commands run Superset's own interpreter from `superset_config/.venv`.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

SUPERSET_DIR = Path(__file__).resolve().parent
VENV_BIN = SUPERSET_DIR / ".venv" / "bin"
CONFIG_PATH = SUPERSET_DIR / "superset_config.py"
BOOTSTRAP_PATH = SUPERSET_DIR / "bootstrap.py"


def _secret(settings: Any, field: str) -> str | None:
    value = getattr(settings, field, None)
    if value is None:
        return None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


def _persisted_secret(state_dir: Path, name: str) -> str:
    """A random per-install secret kept in the state dir (0600), made on first use."""
    path = state_dir / "superset" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(value + "\n")
    return value


def superset_env(settings: Any) -> dict[str, str]:
    """The environment both commands need, from a `StackSettings` (or any object like it).

    A secret key or admin password the settings do not carry is generated once and kept in
    `<state_dir>/superset/` (`secret_key`, `admin_password`), never a shipped default.
    """
    state = Path(settings.state_path)
    superset, clickhouse = settings.superset, settings.clickhouse
    env = {
        "SUPERSET_CONFIG_PATH": str(CONFIG_PATH),
        "OLLIVE_SUPERSET_STATE_DIR": str(state / "superset"),
        "OLLIVE_SUPERSET_PORT": str(superset.port),
        "OLLIVE_SUPERSET_SECRET_KEY": _secret(superset, "secret_key")
        or _persisted_secret(state, "secret_key"),
        "OLLIVE_SUPERSET_ADMIN_USER": superset.admin_user,
        "OLLIVE_SUPERSET_ADMIN_EMAIL": superset.admin_email,
        "OLLIVE_SUPERSET_ADMIN_PASSWORD": _secret(superset, "admin_password")
        or _persisted_secret(state, "admin_password"),
        "OLLIVE_SUPERSET_DATA_CACHE_SECONDS": str(superset.data_cache_seconds),
        "OLLIVE_SUPERSET_ACTION_LOG": superset.action_log,
        "OLLIVE_SUPERSET_REUSE_CLICKHOUSE_CONNECTIONS": str(
            superset.reuse_clickhouse_connections
        ).lower(),
        "OLLIVE_SUPERSET_TENANTS": json.dumps(superset.tenants),
        "OLLIVE_CLICKHOUSE_HOST": clickhouse.host,
        "OLLIVE_CLICKHOUSE_PORT": str(clickhouse.port),
        "OLLIVE_CLICKHOUSE_SECURE": str(clickhouse.secure).lower(),
        "OLLIVE_CLICKHOUSE_READONLY_USER": clickhouse.readonly_user,
        "OLLIVE_CLICKHOUSE_READONLY_PASSWORD": _secret(clickhouse, "readonly_password") or "",
        "PYTHONUNBUFFERED": "1",
        # Superset's own venv only: nothing of the pipeline's venv may leak onto its path.
        "PYTHONPATH": "",
        "VIRTUAL_ENV": str(VENV_BIN.parent),
    }
    if superset.database_uri is not None:
        env["OLLIVE_SUPERSET_DATABASE_URI"] = superset.database_uri.get_secret_value()
    return env


def bootstrap_command(settings: Any) -> tuple[list[str], dict[str, str]]:
    """Migrate, create the admin, sync roles, import the bundle; idempotent, run before serving."""
    return [str(VENV_BIN / "python"), str(BOOTSTRAP_PATH)], superset_env(settings)


def superset_command(
    settings: Any, workers: int = 2, threads: int = 4
) -> tuple[list[str], dict[str, str]]:
    """Gunicorn serving Superset on `settings.host:settings.superset.port` (health: GET /health)."""
    argv = [
        str(VENV_BIN / "gunicorn"),
        f"--bind={settings.host}:{settings.superset.port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        "--timeout=120",
        "--limit-request-line=0",
        "--limit-request-field_size=0",
        "superset.app:create_app()",
    ]
    return argv, superset_env(settings)
