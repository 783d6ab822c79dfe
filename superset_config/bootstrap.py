"""Bring Superset's metadata to the state in git: migrate, admin, roles, the dashboards bundle,
the projects' row-level security (tenancy.py).

Idempotent and safe on every start: migrations are no-ops when current, the admin is created or
has its password reset from the environment, and the bundle is imported with overwrite, keyed by
the stable UUIDs in the YAML. Run with Superset's own interpreter:

    superset_config/.venv/bin/python superset_config/bootstrap.py
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bundle import ClickHouseConnection, build_zip, passwords
from tenancy import parse_tenants, sync_tenants

HERE = Path(__file__).resolve().parent
# The database dbt builds the marts in (ollive_contract/tables.py MARTS_DATABASE; this file
# runs in Superset's virtualenv, which does not have that package).
MARTS_DATABASE = "ollive"


@dataclass(frozen=True)
class BootstrapSettings:
    """What the bootstrap needs, read from the environment once, at the edge."""

    admin_user: str
    admin_password: str
    admin_email: str
    clickhouse: ClickHouseConnection
    tenants: dict[str, list[str]]  # project id -> usernames (superset_config/tenancy.py)

    @classmethod
    def from_env(cls, env: os._Environ | dict = os.environ) -> BootstrapSettings:
        password = env.get("OLLIVE_SUPERSET_ADMIN_PASSWORD", "")
        if not password:
            raise SystemExit(
                "OLLIVE_SUPERSET_ADMIN_PASSWORD is not set: refusing to create an admin"
            )
        return cls(
            admin_user=env.get("OLLIVE_SUPERSET_ADMIN_USER", "admin"),
            admin_password=password,
            admin_email=env.get("OLLIVE_SUPERSET_ADMIN_EMAIL", "admin@ollive.local"),
            clickhouse=ClickHouseConnection(
                host=env.get("OLLIVE_CLICKHOUSE_HOST", "127.0.0.1"),
                port=int(env.get("OLLIVE_CLICKHOUSE_PORT", "8123")),
                user=env.get("OLLIVE_CLICKHOUSE_READONLY_USER", "analyst"),
                password=env.get("OLLIVE_CLICKHOUSE_READONLY_PASSWORD", ""),
                database=MARTS_DATABASE,
                secure=env.get("OLLIVE_CLICKHOUSE_SECURE", "false").lower() in {"1", "true"},
            ),
            tenants=parse_tenants(env.get("OLLIVE_SUPERSET_TENANTS", "{}")),
        )


def migrate() -> None:
    """`superset db upgrade` in its own process: Alembic before the app touches any table."""
    superset = Path(sys.executable).with_name("superset")
    subprocess.run([str(superset), "db", "upgrade"], check=True)


def ensure_admin(settings: BootstrapSettings) -> None:
    from superset import security_manager

    user = security_manager.find_user(username=settings.admin_user)
    admin_role = security_manager.find_role("Admin")
    if user is None:
        user = security_manager.add_user(
            settings.admin_user,
            "Ollive",
            "Admin",
            settings.admin_email,
            admin_role,
            password=settings.admin_password,
        )
        if not user:
            raise SystemExit(f"could not create the admin user {settings.admin_user!r}")
    else:
        security_manager.reset_password(user.id, settings.admin_password)
        if admin_role not in user.roles:
            user.roles.append(admin_role)
            security_manager.update_user(user)


def sync_roles() -> None:
    """What `superset init` does: permissions and the built-in roles."""
    from superset import appbuilder, security_manager
    from superset.extensions import db

    appbuilder.add_permissions(update_perms=True)
    security_manager.sync_role_definitions()
    db.session.commit()


def import_bundle(settings: BootstrapSettings) -> None:
    from flask import g
    from superset import security_manager
    from superset.commands.importers.v1.assets import ImportAssetsCommand
    from superset.commands.importers.v1.utils import get_contents_from_bundle

    g.user = security_manager.find_user(username=settings.admin_user)
    with zipfile.ZipFile(io.BytesIO(build_zip(settings.clickhouse))) as archive:
        contents = get_contents_from_bundle(archive)
    ImportAssetsCommand(contents, passwords=passwords(settings.clickhouse)).run()


def main() -> None:
    settings = BootstrapSettings.from_env()
    started = time.monotonic()
    migrate()
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        sync_roles()
        ensure_admin(settings)
        import_bundle(settings)
        print(f"superset tenancy: {sync_tenants(settings.tenants)}", flush=True)
    print(f"superset bootstrap: done in {time.monotonic() - started:.1f}s", flush=True)


if __name__ == "__main__":
    main()
