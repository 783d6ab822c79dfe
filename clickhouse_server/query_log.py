"""`system.query_log` as clients know it, kept by the engine itself.

The engine writes its own query log when its configuration has a `<query_log>` section (chDB
reads `config.d/*.xml` beside the config file it starts with, as ClickHouse does), and `SYSTEM
FLUSH LOGS` flushes it. What it cannot do is take the client's query id: chDB gives every
query a fresh UUID and has no way to set one. So the engine's log goes to
`system.engine_query_log`, and `system.query_log` is a view over it that shows the HTTP
request's id:

- before running a client's statement the server sets the (otherwise unused) setting
  `chdb_client_name` to `http:<user>:<query id>` on the statement's connection; the engine records
  changed settings in each row's `Settings`, so every row of that statement carries the id;
- the view keeps only rows that carry an id — the server's own bookkeeping statements (SET of
  URL settings, USE, reading `system.settings`) run without one, so they are not listed, as
  on a ClickHouse server — and shows the id as `query_id` and `initial_query_id`, the HTTP
  user as `user` (the engine sees one login for everyone), and `Settings` without the
  carrier. Columns the engine cannot know stay as it wrote them (`interface` is Local,
  the `http_*` columns are empty).

A fresh connection gets the id before `SET readonly` (readonly=1 forbids changing any
setting; chDB ignores `access_control_improvements`, so `changeable_in_readonly` cannot be
allowed). A read-only user's *session* is readonly=1 for its whole life, so its statements
are not labelled and do not show in the view. `system` is an in-memory database, so the
view is created again at every start.
"""

from __future__ import annotations

from pathlib import Path

from clickhouse_server.engine import Connection
from clickhouse_server.query_settings import quote

ENGINE_TABLE = "system.engine_query_log"
CARRIER = "chdb_client_name"
_PREFIX = "http:"
# Marks the server's own SETs of the carrier, whose log rows must not be listed.
_MARK = "/* ollive:query-id */"
# ClickHouse's default flush interval; `SYSTEM FLUSH LOGS` makes rows visible at once.
FLUSH_INTERVAL_MS = 7500


def config_xml(flush_interval_ms: int = FLUSH_INTERVAL_MS) -> str:
    return f"""<clickhouse>
    <query_log>
        <database>system</database>
        <table>{ENGINE_TABLE.split(".")[1]}</table>
        <flush_interval_milliseconds>{int(flush_interval_ms)}</flush_interval_milliseconds>
    </query_log>
</clickhouse>
"""


# The carrier's value: `http:<user>:<query id>` (user names have no colon; query ids may).
# It is read in an inner query: in the outer one `Settings` names the filtered map.
_SEPARATOR = f"position(carrier, ':', {len(_PREFIX) + 1})"
_QUERY_ID = f"substring(carrier, {_SEPARATOR} + 1)"
_USER = f"substring(carrier, {len(_PREFIX) + 1}, {_SEPARATOR} - {len(_PREFIX) + 1})"

VIEW_SQL = f"""CREATE OR REPLACE VIEW system.query_log AS
SELECT * EXCEPT (carrier) REPLACE (
    {_QUERY_ID} AS query_id,
    {_QUERY_ID} AS initial_query_id,
    {_USER} AS user,
    {_USER} AS initial_user,
    mapFilter((k, v) -> k != '{CARRIER}', Settings) AS Settings
)
FROM (
    SELECT *, Settings['{CARRIER}'] AS carrier
    FROM {ENGINE_TABLE}
    WHERE startsWith(Settings['{CARRIER}'], '{_PREFIX}') AND NOT startsWith(query, '{_MARK}')
)"""


def write_config(config_dir: Path, flush_interval_ms: int = FLUSH_INTERVAL_MS) -> None:
    """Put the query log's section in `config.d/` beside the engine's config file."""
    target = config_dir / "config.d"
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    (target / "query_log.xml").write_text(config_xml(flush_interval_ms))


def install(connection: Connection) -> None:
    """Create `system.query_log` (the engine's table exists once its log has been flushed)."""
    connection.execute("SYSTEM FLUSH LOGS")
    connection.execute(VIEW_SQL)


def internal(sql: str) -> str:
    """A statement of the server's own, marked so that the view leaves it out."""
    return f"{_MARK} {sql}"


def tag(connection: Connection, query_id: str, user: str) -> None:
    """Label the connection's next statements with the client's query id and user."""
    value = f"{_PREFIX}{user}:{query_id}"
    connection.execute(internal(f"SET {CARRIER} = {quote(value)}"))


def set_readonly(connection: Connection, level: int) -> None:
    """`SET readonly`, after `tag` (readonly=1 forbids changing any setting, the carrier too)."""
    connection.execute(internal(f"SET readonly = {int(level)}"))


def untag(connection: Connection) -> None:
    """Stop labelling (a session's connection, before the server's own statements run)."""
    connection.execute(internal(f"SET {CARRIER} = DEFAULT"))
