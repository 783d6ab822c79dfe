"""PostgreSQL as a service of the stack's `postgres` profile (docs/production.md).

Debian's server binaries (`postgresql`, installed by `make setup`), one cluster under
`<state_dir>/postgres/data`, listening on the stack's loopback address only (no Unix socket),
one role `ollive` whose password is generated on first start into `<state_dir>/postgres/password`
(mode 600), and one database per reader: Dagster's instance storage, Superset's metadata and
the ingest key store, as compose's Postgres holds them.

The server refuses to run as root, and a state directory under a root-owned 0700 path (a home
directory, pytest's temporary directories) is unreadable to the `postgres` system user. So, as
root, it runs in a user namespace where the caller's root is mapped to the `postgres` user's
uid: the server sees an unprivileged owner of its data directory, the kernel still checks the
files as the caller's.
"""

from __future__ import annotations

import os
import pwd
import secrets
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pydantic import SecretStr

from ollive.stack.process import ServiceSpec, StartError
from ollive_contract.settings import StackSettings

USER = "ollive"
DAGSTER_DB, SUPERSET_DB, KEYS_DB = "dagster", "superset", "ingest"
DATABASES = (DAGSTER_DB, SUPERSET_DB, KEYS_DB)
DEBIAN_BINARIES = Path("/usr/lib/postgresql")


def bindir() -> Path:
    """The newest server Debian's packages installed (`/usr/lib/postgresql/<major>/bin`)."""
    found = sorted(
        (p for p in DEBIAN_BINARIES.glob("*/bin") if (p / "postgres").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        raise StartError(
            "PostgreSQL is not installed: `make setup-system` installs Debian's `postgresql`"
        )
    return found[-1]


@dataclass(frozen=True)
class PostgresServer:
    """Where the profile's PostgreSQL keeps its files and answers."""

    root: Path  # <state_dir>/postgres
    host: str
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    def password(self) -> str:
        """The `ollive` role's password, generated on first use (URL-safe: no escaping)."""
        if not self.password_file.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32) + "\n")
        return self.password_file.read_text().strip()

    def url(self, database: str, driver: str = "postgresql") -> str:
        """A connection URL; it holds the password, so it goes only into child environments."""
        auth = f"{USER}:{quote(self.password(), safe='')}"
        return f"{driver}://{auth}@{self.host}:{self.port}/{database}"


def server(settings: StackSettings) -> PostgresServer:
    return PostgresServer(settings.state_path / "postgres", settings.host, settings.postgres_port)


def with_postgres(settings: StackSettings) -> StackSettings:
    """`settings` with the `postgres` profile's URLs filled in (key store, Superset metadata);
    the embedded profile's settings come back unchanged."""
    if settings.profile != "postgres":
        return settings
    pg = server(settings)
    ingest = settings.ingest.model_copy(update={"keys_database_url": SecretStr(pg.url(KEYS_DB))})
    superset = settings.superset.model_copy(
        update={"database_uri": SecretStr(pg.url(SUPERSET_DB, "postgresql+psycopg2"))}
    )
    return settings.model_copy(update={"ingest": ingest, "superset": superset})


def unprivileged(argv: list[str]) -> list[str]:
    """`argv` as the server accepts to run: unchanged, or in a user namespace as root."""
    if os.geteuid() != 0:
        return argv
    try:
        user = pwd.getpwnam("postgres")
        uid, gid = user.pw_uid, user.pw_gid
    except KeyError:  # Debian's package creates it; any unprivileged id works
        uid = gid = 65534
    return ["unshare", "--user", f"--map-user={uid}", f"--map-group={gid}", *argv]


def initdb(pg: PostgresServer, log_file: Path) -> None:
    """Create the cluster once: scram-sha-256 everywhere, the `ollive` role as superuser."""
    if (pg.data_dir / "PG_VERSION").exists():
        return
    pg.password()
    argv = [str(bindir() / "initdb"), "-D", str(pg.data_dir), "-U", USER]
    argv += [f"--pwfile={pg.password_file}", "--auth=scram-sha-256", "-E", "UTF8"]
    argv += ["--locale=C", "--no-instructions"]
    with log_file.open("ab") as log:
        done = subprocess.run(unprivileged(argv), stdout=log, stderr=subprocess.STDOUT, timeout=120)
    if done.returncode != 0:
        raise StartError(f"initdb failed (exit {done.returncode}); see {log_file}")


def connect(pg: PostgresServer, database: str = "postgres", timeout_s: int = 2):
    import psycopg

    return psycopg.connect(pg.url(database), autocommit=True, connect_timeout=timeout_s)


def ready(pg: PostgresServer) -> bool:
    """Accepts the `ollive` role's password (proves the server is up and the cluster ours)."""
    with connect(pg) as conn:
        conn.execute("select 1")
    return True


def create_databases(pg: PostgresServer) -> None:
    """One database per reader, created if missing (every start; idempotent)."""
    with connect(pg) as conn:
        have = {row[0] for row in conn.execute("select datname from pg_database")}
        for name in DATABASES:
            if name not in have:
                conn.execute(f'create database "{name}"')


def spec(settings: StackSettings) -> ServiceSpec:
    pg = server(settings)
    argv = [str(bindir() / "postgres"), "-D", str(pg.data_dir), "-p", str(pg.port)]
    argv += ["-c", f"listen_addresses={pg.host}", "-c", "unix_socket_directories="]
    return ServiceSpec(
        name="postgres",
        argv=unprivileged(argv),
        ports=[pg.port],
        health=lambda: ready(pg),
        url=f"postgresql://{USER}@{pg.host}:{pg.port}",
        before_start=lambda log_file: initdb(pg, log_file),
        after_start=lambda: create_databases(pg),
        start_timeout_s=60.0,
        stop_timeout_s=30.0,
        stop_signal=signal.SIGINT,  # fast shutdown: ends open sessions, checkpoints, exits
    )
