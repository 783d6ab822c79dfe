"""The engine's startup configuration: a `config.xml` naming a `users.xml` access storage,
written from an `AccessDefinition` before the engine opens.

chDB logs every connection in as the engine user `default` (no password, so `no_password`,
which also takes any password a dictionary source gives it; the engine is not reachable from
outside the process). So `default` is granted one role per HTTP user (named after the
user) and every other role, and the server's connections pick theirs with `SET ROLE`. Row
policies of users.xml can only name users, so each table's policies become one policy of
`default` whose filter asks which roles the connection has enabled, with ClickHouse's
permissive semantics: a role named by some policies sees the rows any of them allows; a role
named by none sees every row. Each engine user also gets the policies that name it or a role
it holds, for what authenticates inside the engine with its password (a dictionary's
ClickHouse source).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from clickhouse_server.access import AccessDefinition, RowPolicy

# The user chDB's connections authenticate as (hard-coded in chDB's ChdbClient).
ENGINE_LOGIN = "default"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def quote(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"access entity name {name!r} must match {_NAME.pattern}")
    return name


def _grants(parent: ET.Element, queries: list[str]) -> None:
    grants = ET.SubElement(parent, "grants")
    for text in queries:
        ET.SubElement(grants, "query").text = text


def _role_list(names: list[str]) -> str:
    return "[" + ", ".join(_sql_string(n) for n in names) + "]"


def policy_filter(policies: list[RowPolicy]) -> str:
    """One table's policies as one filter on the engine login, keyed on the enabled roles."""
    named = sorted({name for policy in policies for name in policy.to})
    allowed = [
        f"(hasAny(enabledRoles(), {_role_list(sorted(p.to))}) AND ({p.using}))" for p in policies
    ]
    return f"NOT hasAny(enabledRoles(), {_role_list(named)}) OR " + " OR ".join(allowed)


def _roles_held(definition: AccessDefinition, name: str) -> set[str]:
    """The user or role `name` and every role it holds, directly or through other roles."""
    granted = {entity.name: set(entity.roles) for entity in [*definition.users, *definition.roles]}
    held, pending = {name}, [name]
    while pending:
        for role in granted.get(pending.pop(), ()):
            if role not in held:
                held.add(role)
                pending.append(role)
    return held


def _policies_element(parent: ET.Element, filters: dict[str, str]) -> None:
    """users.xml's row policies of one user: `<databases><db><table><filter>`."""
    if not filters:
        return
    databases = ET.SubElement(parent, "databases")
    for table, expression in sorted(filters.items()):
        database, name = table.split(".")
        db = databases.find(database)
        if db is None:
            db = ET.SubElement(databases, _check_name(database))
        ET.SubElement(ET.SubElement(db, _check_name(name)), "filter").text = expression


def users_xml(definition: AccessDefinition) -> str:
    root = ET.Element("clickhouse")
    profiles = ET.SubElement(root, "profiles")
    ET.SubElement(profiles, "default")
    for level in sorted({user.readonly for user in definition.users if user.readonly}):
        profile = ET.SubElement(profiles, f"readonly_{level}")
        ET.SubElement(profile, "readonly").text = str(level)
    ET.SubElement(ET.SubElement(root, "quotas"), "default")
    roles = ET.SubElement(root, "roles")
    users = ET.SubElement(root, "users")
    entities = [*definition.users, *definition.roles]
    for entity in entities:
        element = ET.SubElement(roles, _check_name(entity.name))
        granted = [f"GRANT {', '.join(quote(r) for r in entity.roles)}"] if entity.roles else []
        _grants(element, [*entity.grants, *granted])

    login = ET.SubElement(users, ENGINE_LOGIN)
    # chDB logs in with no password, and users.xml allows one authentication method per user,
    # so the login cannot also carry its HTTP password's digest. `no_password` accepts any
    # password (ClickHouse's NO_PASSWORD check ignores it), so a dictionary source naming
    # `default` with the HTTP password authenticates, as on a ClickHouse server; an empty one
    # already did. The HTTP layer checks `default`'s password as before.
    ET.SubElement(login, "no_password")
    # chDB authenticates its connections from an empty address; the engine has no listener.
    ET.SubElement(ET.SubElement(login, "networks"), "ip").text = "::/0"
    ET.SubElement(login, "profile").text = "default"
    ET.SubElement(login, "quota").text = "default"
    _grants(login, [f"GRANT {', '.join(quote(e.name) for e in entities)}"] if entities else [])
    by_table: dict[str, list[RowPolicy]] = defaultdict(list)
    for policy in definition.row_policies:
        by_table[policy.table].append(policy)
    _policies_element(login, {table: policy_filter(ps) for table, ps in by_table.items()})

    for user in definition.users:
        if user.name == ENGINE_LOGIN:
            continue  # the login itself; its password is checked by the HTTP layer
        element = ET.SubElement(users, user.name)
        ET.SubElement(element, "password_sha256_hex").text = user.password_sha256_hex
        ET.SubElement(ET.SubElement(element, "networks"), "ip").text = "::/0"
        # The server sets readonly per connection; the profile is for in-engine logins.
        profile = f"readonly_{user.readonly}" if user.readonly else "default"
        ET.SubElement(element, "profile").text = profile
        ET.SubElement(element, "quota").text = "default"
        granted = [f"GRANT {', '.join(quote(r) for r in user.roles)}"] if user.roles else []
        # Written out even when empty: a users.xml user without <grants> gets every privilege.
        _grants(element, [*user.grants, *granted])
        # The same policies on the engine user itself, for what authenticates inside the
        # engine as this user (a dictionary's ClickHouse source with its name and password).
        held = _roles_held(definition, user.name)
        own: dict[str, list[str]] = defaultdict(list)
        for policy in definition.row_policies:
            if held & set(policy.to):
                own[policy.table].append(f"({policy.using})")
        _policies_element(element, {table: " OR ".join(exprs) for table, exprs in own.items()})
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def config_xml(users_path: Path, memory_ratio: float | None = None) -> str:
    root = ET.Element("clickhouse")
    ET.SubElement(root, "users_config").text = str(users_path)
    if memory_ratio is not None:
        # The engine's cap on all it holds. ClickHouse's own default, 0.9 of the machine, leaves
        # nothing for the stack's other services on a machine without swap; past half of what
        # is free under the cap, a GROUP BY, sort or join spills to disk (the engine's
        # `max_bytes_ratio_before_external_*` defaults); queries side by side can still reach
        # the cap together, and then fail rather than the kernel killing the engine.
        ET.SubElement(root, "max_server_memory_usage_to_ram_ratio").text = str(memory_ratio)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)


def write(definition: AccessDefinition, directory: Path, memory_ratio: float | None = None) -> Path:
    """Write config.xml and users.xml (owner-only: they hold password hashes); returns the
    config file to start the engine with. Rewritten at every start, so the settings registry
    and the access file are the source of truth. `memory_ratio`: the engine's memory cap as a
    share of the machine's (ClickHouse's default when None)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    users_path = directory / "users.xml"
    _write_private(users_path, users_xml(definition))
    config_path = directory / "config.xml"
    _write_private(config_path, config_xml(users_path, memory_ratio))
    return config_path
