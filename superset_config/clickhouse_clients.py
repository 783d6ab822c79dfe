"""One ClickHouse connection per Superset worker process and database URL, not one per query.

Superset builds a new SQLAlchemy engine with a `NullPool` for every query it sends to an
analytics database, so every chart request opened a new clickhouse-connect client, and a new
client asks the server three things before the chart's query (`SELECT version(), timezone()`,
the whole of `system.settings`, a protocol check). Profiled under `bench/superset_charts.py`
that was 18% of a chart request's time in Superset. clickhouse-connect declares its DB-API
connections shareable between threads (`threadsafety = 2`; without a session id, which these
are opened without), so `reuse_connections` hands each engine, through Superset's
`DB_CONNECTION_MUTATOR` hook, a `creator` that returns the process's one connection for that
URL and connect arguments; closing it (what `NullPool` does after each query) keeps it open.

Runs inside Superset's virtualenv only (`superset_config.py` imports it).
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from clickhouse_connect import dbapi

DRIVER = "clickhousedb"

_lock = threading.Lock()
_connections: dict[tuple[int, str, str], SharedConnection] = {}


class SharedConnection:
    """A DB-API connection whose `close` leaves the underlying client open for the next query."""

    def __init__(self, connection: dbapi.Connection) -> None:
        self._connection = connection

    def cursor(self) -> Any:
        return self._connection.cursor()

    def commit(self) -> None:
        self._connection.commit()

    def rollback(self) -> None:
        self._connection.rollback()

    def close(self) -> None:
        """Kept open: the next query of this process reuses it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def _shared(url: Any, connect_args: dict[str, Any]) -> SharedConnection:
    key = (
        os.getpid(),  # a forked worker opens its own
        url.render_as_string(hide_password=False),
        json.dumps(connect_args, sort_keys=True, default=str),
    )
    with _lock:
        connection = _connections.get(key)
        if connection is None:
            cargs, cparams = url.get_dialect()().create_connect_args(url)
            params = {**cparams, **connect_args, "autogenerate_session_id": False}
            connection = SharedConnection(dbapi.connect(*cargs, **params))
            _connections[key] = connection
        return connection


def reuse_connections(
    url: Any, params: dict[str, Any], username: str | None, security_manager: Any, source: Any
) -> tuple[Any, dict[str, Any]]:
    """Superset's `DB_CONNECTION_MUTATOR`: ClickHouse engines connect through the shared one."""
    if url.drivername == DRIVER:
        connect_args = dict(params.get("connect_args") or {})
        params = {**params, "creator": lambda: _shared(url, connect_args)}
    return url, params
