"""Dumps of the metadata databases (Dagster's storage, Superset's metadata, the key store) and
their restore, with the server's own `pg_dump` / `pg_restore` (custom format: compressed, one
file per database, restorable into a server where the database was dropped).

The password reaches the tools through `PGPASSWORD` in their environment, never their argv.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SUFFIX = ".pgdump"


@dataclass(frozen=True)
class PostgresTarget:
    """Where the databases live and who may dump them."""

    host: str
    port: int
    user: str
    password: str
    bindir: Path

    def _run(self, tool: str, *args: str) -> None:
        argv = [str(self.bindir / tool), "-h", self.host, "-p", str(self.port), "-U", self.user]
        env = {**os.environ, "PGPASSWORD": self.password}
        done = subprocess.run([*argv, *args], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed (exit {done.returncode}): {done.stderr.strip()}")


def dump(target: PostgresTarget, databases: tuple[str, ...], out_dir: Path) -> list[Path]:
    """One `<database>.pgdump` per database in a new `out_dir/<UTC timestamp>/` (mode 700)."""
    folder = out_dir / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, mode=0o700)
    files = []
    for database in databases:
        file = folder / f"{database}{SUFFIX}"
        target._run("pg_dump", "--format=custom", f"--file={file}", database)
        files.append(file)
    return files


def restore(target: PostgresTarget, files: list[Path]) -> list[str]:
    """Recreate each dumped database as it was (dropped first when it exists; its open
    connections are ended); returns the databases restored."""
    restored = []
    for file in files:
        database = file.name.removesuffix(SUFFIX)
        target._run(
            "psql", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c",
            f'drop database if exists "{database}" with (force)',
        )  # fmt: skip
        target._run("pg_restore", "--create", "--exit-on-error", "-d", "postgres", str(file))
        restored.append(database)
    return restored


def dumps_in(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{SUFFIX}"))
