"""The dashboards-as-code bundle: `bundle/` zipped in Superset's import format, live connection.

The YAML in git carries a placeholder connection (`XXXXXXXXXX` is Superset's masked password);
`build_zip` points it at this deployment's ClickHouse and returns the password separately, so it
reaches Superset's importer (which encrypts it in the metadata DB) without touching the disk.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import yaml

BUNDLE_DIR = Path(__file__).resolve().parent / "bundle"
DATABASE_FILE = "databases/Ollive_ClickHouse.yaml"
MASKED_PASSWORD = "XXXXXXXXXX"  # superset.constants.PASSWORD_MASK
ZIP_ROOT = "ollive_bundle"


@dataclass(frozen=True)
class ClickHouseConnection:
    """Where Superset reaches ClickHouse, as the read-only user."""

    host: str = "127.0.0.1"
    port: int = 8123
    user: str = "analyst"
    password: str = ""
    database: str = "ollive"
    secure: bool = False

    def masked_uri(self) -> str:
        query = "?secure=true" if self.secure else ""
        return (
            f"clickhousedb://{quote(self.user, safe='')}:{MASKED_PASSWORD}"
            f"@{self.host}:{self.port}/{self.database}{query}"
        )


def bundle_files(bundle_dir: Path = BUNDLE_DIR) -> dict[str, str]:
    """Every YAML file of the bundle by its path inside the bundle."""
    return {
        path.relative_to(bundle_dir).as_posix(): path.read_text()
        for path in sorted(bundle_dir.rglob("*.yaml"))
    }


def with_connection(files: dict[str, str], connection: ClickHouseConnection) -> dict[str, str]:
    database = yaml.safe_load(files[DATABASE_FILE])
    database["sqlalchemy_uri"] = connection.masked_uri()
    return {**files, DATABASE_FILE: yaml.safe_dump(database, sort_keys=False)}


def build_zip(connection: ClickHouseConnection, bundle_dir: Path = BUNDLE_DIR) -> bytes:
    """The bundle as a Superset import ZIP (`<root>/metadata.yaml`, `<root>/charts/…`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in with_connection(bundle_files(bundle_dir), connection).items():
            archive.writestr(f"{ZIP_ROOT}/{name}", text)
    return buffer.getvalue()


def passwords(connection: ClickHouseConnection) -> dict[str, str]:
    """The importer's `passwords` argument: bundle file → database password."""
    return {DATABASE_FILE: connection.password}
