"""Put a connection into one request's state (readonly level, database, URL settings) and,
for a session's connection, take it back out afterwards.

In ClickHouse, URL settings and `database` apply to the one query only, while `SET` and `USE`
inside a session's queries persist. A fresh per-request connection simply gets the settings;
a session's connection gets them around the query and has its previous values restored —
except for what the query itself changed with SET or USE.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from clickhouse_server import errors, statements
from clickhouse_server.auth import User
from clickhouse_server.engine import Connection
from clickhouse_server.query_settings import HttpParams, quote, set_statement

# Query classes the engine's readonly=2 would still allow (reads and SET).
_READONLY_CLASSES = frozenset({"READ_ONLY", "CONTROL"})


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def refuse_role_switch(sql: str) -> None:
    """A request runs as its user's engine role (`Engine.connect`); `SET ROLE` would let it
    take any other role the engine login holds, so it is refused, as a server refuses a role
    not granted to the user."""
    leading = itertools.islice(statements.tokens(sql.encode(), final=True), 2)
    if [token.upper for token in leading] == ["SET", "ROLE"]:
        raise errors.ClickHouseError(
            512,
            "SET ROLE is not supported: a request runs with its user's own role",
            "SET_NON_GRANTED_ROLE",
        )


def readonly_level(user: User, params: HttpParams, is_get: bool) -> int:
    """GET is readonly=2 (as in ClickHouse); a user's readonly profile and a URL `readonly`
    can only tighten it."""
    levels = [user.readonly, 2 if is_get else 0]
    if params.settings.get("readonly", "").isdigit():
        levels.append(int(params.settings["readonly"]))
    nonzero = [level for level in levels if level]
    return min(nonzero) if nonzero else 0


def prepare_fresh(connection: Connection, params: HttpParams, readonly: int) -> None:
    """Apply the request's state to a connection used for this request only."""
    if readonly:
        connection.execute(f"SET readonly = {readonly}")
    if params.database:
        connection.execute(f"USE {quote_identifier(params.database)}")
    settings = {k: v for k, v in params.settings.items() if k != "readonly"}
    statement = set_statement(settings)
    if statement:
        connection.execute(statement)


@dataclass
class Saved:
    """A session connection's values before the request changed them."""

    settings: dict[str, str | None] = field(default_factory=dict)  # None: was the default
    applied: dict[str, str] = field(default_factory=dict)
    database: str | None = None


def prepare_session(
    connection: Connection, params: HttpParams, readonly: int, sql: str, user: User
) -> Saved:
    """Apply the request's state to a session's connection, remembering what to restore."""
    if readonly > user.readonly and connection.query_class(sql) not in _READONLY_CLASSES:
        # A session's readonly level cannot be lowered again once raised, so the request's
        # tighter level is enforced here instead of with SET.
        raise errors.ClickHouseError(
            errors.READONLY, f"{user.name}: Cannot execute query in readonly mode"
        )
    saved = Saved()
    wanted = {k: v for k, v in params.settings.items() if k != "readonly"}
    if wanted:
        names = ", ".join(quote(name) for name in wanted)
        current = connection.rows(
            f"SELECT name, value, changed FROM system.settings WHERE name IN ({names})"
        )
        for name, value, changed in current:
            if value != wanted[name]:
                saved.settings[name] = value if changed else None
                saved.applied[name] = wanted[name]
        statement = set_statement(saved.applied)
        if statement:
            connection.execute(statement)
    if params.database:
        ((current_db,),) = connection.rows("SELECT currentDatabase()")
        if current_db != params.database:
            connection.execute(f"USE {quote_identifier(params.database)}")
            saved.database = current_db
    return saved


def restore_session(connection: Connection, saved: Saved, keyword: str) -> None:
    """Undo `prepare_session`, keeping whatever the query itself SET or USEd."""
    settings = dict(saved.settings)
    if keyword == "SET" and settings:
        names = ", ".join(quote(name) for name in settings)
        for name, value, _changed in connection.rows(
            f"SELECT name, value, changed FROM system.settings WHERE name IN ({names})"
        ):
            if value != saved.applied[name]:
                settings.pop(name)  # the query set it; that persists
    defaults = [name for name, value in settings.items() if value is None]
    values = {name: value for name, value in settings.items() if value is not None}
    if defaults:
        connection.execute("SET " + ", ".join(f"{name} = DEFAULT" for name in defaults))
    statement = set_statement(values)
    if statement:
        connection.execute(statement)
    if saved.database is not None and keyword != "USE":
        connection.execute(f"USE {quote_identifier(saved.database)}")
