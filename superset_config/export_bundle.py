"""Write Superset's current databases, datasets, charts and dashboards back into `bundle/`.

After editing a dashboard in the UI: run this with Superset's interpreter and the same
environment as the bootstrap, review `git diff superset_config/bundle`, commit.

    superset_config/.venv/bin/python superset_config/export_bundle.py
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import yaml
from bundle import BUNDLE_DIR, DATABASE_FILE, ClickHouseConnection, with_connection


def _paths_by_uuid() -> dict[str, str]:
    return {
        str(yaml.safe_load(p.read_text()).get("uuid")): p.relative_to(BUNDLE_DIR).as_posix()
        for p in BUNDLE_DIR.rglob("*.yaml")
    }


def _stable_name(name: str, text: str, existing: dict[str, str]) -> str:
    """Keep a file's path in git; Superset's own names end in the object's (unstable) id."""
    uuid = str(yaml.safe_load(text).get("uuid"))
    if uuid in existing:
        return existing[uuid]
    return re.sub(r"_\d+\.yaml$", ".yaml", name)


def main() -> None:
    from superset.app import create_app

    with create_app().app_context():
        from flask import g
        from superset import security_manager
        from superset.commands.export.assets import ExportAssetsCommand

        g.user = security_manager.find_user(username="admin") or security_manager.get_user_by_id(1)
        files = {name: content() for name, content in ExportAssetsCommand().run()}
    if DATABASE_FILE not in files:
        raise SystemExit(f"the export has no {DATABASE_FILE}: was the database renamed?")
    # Committed YAML always carries the placeholder connection, whatever this deployment uses.
    files = with_connection(files, ClickHouseConnection())
    existing = _paths_by_uuid()
    files = {_stable_name(name, text, existing): text for name, text in files.items()}
    shutil.rmtree(BUNDLE_DIR)
    for name, text in files.items():
        path = BUNDLE_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(files)} files to {BUNDLE_DIR}")


if __name__ == "__main__":
    main()
