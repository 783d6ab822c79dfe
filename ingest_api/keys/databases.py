"""Where the key store keeps its rows: a SQLite file (one machine) or Postgres (shared by
replicas). Both run the same SQL; only the placeholder style and the connection differ.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, Protocol

SCHEMA = """
create table if not exists api_keys (
    key_id text primary key,
    key_sha256 text not null unique,
    project_id text not null,
    label text not null default '',
    created_at text not null,
    revoked_at text
)
"""


class KeyDatabase(Protocol):
    """What the key store needs of a database; SQL uses `?` placeholders."""

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run a write in its own transaction; the number of rows it touched."""
        ...


class SqliteKeyDatabase:
    """A SQLite file in WAL mode: the CLI and the API are separate processes on one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("pragma journal_mode=wal")
        return db

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._connect() as db:
            return db.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        with self._connect() as db:
            return db.execute(sql, params).rowcount


SCHEMA_LOCK = 0x011F_4B45_5953  # any constant the deployment's other advisory locks don't use


class PostgresKeyDatabase:
    """One Postgres database shared by every ingest replica and the keys CLI.

    One autocommit connection per store, reopened after a failure: the API reloads its map
    every few seconds, and a connection per reload would cost a SCRAM handshake each time.
    """

    def __init__(self, url: str, connect_timeout_s: int = 5, statement_timeout_s: int = 10) -> None:
        self._url = url
        self._timeout = connect_timeout_s
        # a server that accepts connections but hangs must not hold a reload (or the CLI)
        # forever; a failed reload keeps the last loaded keys (KeyStore._reload)
        self._statement_timeout_ms = statement_timeout_s * 1000
        self._lock = threading.Lock()
        self._conn: Any = None
        # replicas start together: concurrent `create table if not exists` can collide in
        # Postgres's catalog, so the first one creates it under a lock and the rest wait
        self.execute(f"select pg_advisory_xact_lock({SCHEMA_LOCK}); {SCHEMA}")

    def _connection(self) -> Any:
        import psycopg  # only this backend needs the driver

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=self._timeout,
                options=f"-c statement_timeout={self._statement_timeout_ms}",
            )
        return self._conn

    def _run(self, sql: str, params: tuple[Any, ...], fetch: bool) -> Any:
        import psycopg

        sql = sql.replace("?", "%s")
        with self._lock:
            for attempt in (1, 2):
                try:
                    with self._connection().cursor() as cur:
                        # no parameters: the simple protocol, which runs several statements
                        # as one transaction (the schema's lock and create)
                        cur.execute(sql, params or None)
                        return cur.fetchall() if fetch else cur.rowcount
                except psycopg.OperationalError:
                    # the server restarted or dropped us: one fresh connection, then give up
                    self.close()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._run(sql, params, fetch=True)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return self._run(sql, params, fetch=False)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
