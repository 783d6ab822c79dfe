"""Is a refused GRANT already in force? Then it is a no-op, and succeeds.

The engine's only access storage is read-only (`access.py`), so every GRANT fails with 495
ACCESS_STORAGE_READONLY after the engine has checked that the grantor may grant. Grants are
declared in the access file instead; a client that re-states one of them (dbt-clickhouse's
`grants:` config does, after building each model) gets the success ClickHouse gives a
repeated grant. Anything not already held still fails with the engine's error.

`CREATE USER|ROLE IF NOT EXISTS` of a user or role the access file provides is the same case:
ClickHouse answers it with success and changes nothing (test suites and provisioning scripts
run it before every use, dbt-clickhouse's among them); the engine, with nowhere to write,
refuses it. A name that does not exist yet still gets the engine's refusal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

ACCESS_STORAGE_READONLY = 495
ACCESS_STORAGE_FOR_INSERTION_NOT_FOUND = 514
REFUSED_WRITES = (ACCESS_STORAGE_READONLY, ACCESS_STORAGE_FOR_INSERTION_NOT_FOUND)

# formatQuerySingleLine's form of the privileges-on-one-object-to-grantees grant.
_GRANT = re.compile(
    r"^GRANT (?P<privileges>[A-Z][A-Z ,]*?) ON (?P<database>[\w`]+)\.(?P<table>[\w`*]+)"
    r" TO (?P<grantees>[\w`\-, ]+)$"
)

# A user or role name as formatQuerySingleLine keeps it: bare, in backquotes, or as a string
# literal (clickhouse-connect binds a `%s` name as one: `CREATE USER IF NOT EXISTS 'u' ...`).
_NAME = r"(?:[\w\-]+|`(?:[^`\\]|\\.)*`|'(?:[^'\\]|\\.)*')"
# formatQuerySingleLine's form of a CREATE USER or ROLE that may already exist; what follows
# the names (IDENTIFIED, SETTINGS, ...) is what an existing one keeps unchanged anyway.
_CREATE_IF_NOT_EXISTS = re.compile(
    rf"^CREATE (?P<kind>USER|ROLE) IF NOT EXISTS (?P<names>{_NAME}(?:, {_NAME})*)(?: |$)"
)
_NAMES = re.compile(_NAME)

Rows = Callable[[str, dict[str, str]], list[list[Any]]]


def _escaped(value: str) -> str:
    """A query parameter's value is read in the TSV escaping."""
    for raw, escaped in (("\\", "\\\\"), ("\n", "\\n"), ("\t", "\\t"), ("\r", "\\r")):
        value = value.replace(raw, escaped)
    return value


def _unquote(name: str) -> str:
    """A name without its backquotes or string quotes (and their backslash escapes)."""
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "`'":
        return re.sub(r"\\(.)", r"\1", name[1:-1])
    return name


def already_granted(sql: str, rows: Rows) -> bool:
    """True when every privilege of this GRANT is held directly by every grantee on the
    object (or on its whole database, or globally), as `system.grants` lists them."""
    ((normalized,),) = rows("SELECT formatQuerySingleLine({q:String})", {"q": _escaped(sql)})
    match = _GRANT.match(normalized)
    if match is None:
        return False
    database = _unquote(match["database"])
    table = _unquote(match["table"])
    privileges = [p.strip() for p in match["privileges"].split(",")]
    grantees = [_unquote(g) for g in match["grantees"].split(",")]
    table_clause = "table IS NULL" if table == "*" else "(table IS NULL OR table = {t:String})"
    for grantee in grantees:
        for privilege in privileges:
            held = rows(
                "SELECT count() FROM system.grants"
                " WHERE (user_name = {g:String} OR role_name = {g:String})"
                " AND toString(access_type) = {p:String}"
                " AND column IS NULL AND NOT is_partial_revoke"
                f" AND (database IS NULL OR database = {{d:String}}) AND {table_clause}",
                {"g": grantee, "p": privilege, "d": database, "t": table},
            )
            if not held or not held[0][0]:
                return False
    return True


def already_exists(sql: str, rows: Rows) -> bool:
    """True for `CREATE USER|ROLE IF NOT EXISTS` naming only users (roles) that exist."""
    ((normalized,),) = rows("SELECT formatQuerySingleLine({q:String})", {"q": _escaped(sql)})
    match = _CREATE_IF_NOT_EXISTS.match(normalized)
    if match is None:
        return False
    table = "system.users" if match["kind"] == "USER" else "system.roles"
    for name in (_unquote(n) for n in _NAMES.findall(match["names"])):
        found = rows(f"SELECT count() FROM {table} WHERE name = {{n:String}}", {"n": name})
        if not found or not found[0][0]:
            return False
    return True


def in_force(sql: str, rows: Rows) -> bool:
    """A refused access statement that would change nothing: a grant held, a user that exists."""
    return already_granted(sql, rows) or already_exists(sql, rows)
