"""Who may do what in the engine: users, roles, grants, row policies, readonly levels.

chDB 4.4's embedded engine has one access storage, read-only: the `users.xml` it reads when it
starts (`engine_config.py` writes it from this definition). Every chDB connection logs in as the
engine's `default` user, so each HTTP user is also an engine *role* of the same name, granted
to `default`, and a request's connection runs `SET ROLE <user>`: the engine then checks that
role's grants and the row policies that name it. The definition comes from the two users in
the settings registry plus an optional TOML file of further users, roles and row policies.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

# Privileges of the read-write user: everything, as ClickHouse's default user has.
ALL_PRIVILEGES = "GRANT ALL ON *.* WITH GRANT OPTION"


def sha256_hex(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    """An HTTP user, an engine user and the engine role its requests run as."""

    name: str
    password_sha256_hex: str = field(repr=False)
    readonly: int = 0
    grants: tuple[str, ...] = ()  # GRANT statements without `TO`, as users.xml writes them
    roles: tuple[str, ...] = ()  # roles granted to the user


@dataclass(frozen=True)
class Role:
    name: str
    grants: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowPolicy:
    """Rows of `table` a user (or the users of a role) sees: those where `using` is true."""

    name: str
    table: str  # database.table
    using: str
    to: tuple[str, ...]  # user or role names


@dataclass(frozen=True)
class AccessDefinition:
    users: tuple[User, ...] = ()
    roles: tuple[Role, ...] = ()
    row_policies: tuple[RowPolicy, ...] = ()

    def __post_init__(self) -> None:
        names = [u.name for u in self.users] + [r.name for r in self.roles]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"users and roles share one namespace; repeated: {duplicates}")
        for policy in self.row_policies:
            unknown = set(policy.to) - set(names)
            if unknown:
                raise ValueError(f"row policy {policy.name} names unknown users/roles {unknown}")
            if policy.table.count(".") != 1:
                raise ValueError(f"row policy {policy.name}: table must be database.table")

    def merged(self, other: AccessDefinition) -> AccessDefinition:
        return AccessDefinition(
            self.users + other.users,
            self.roles + other.roles,
            self.row_policies + other.row_policies,
        )


def provisioned(
    user: str, password: str, readonly_user: str, readonly_password: str
) -> AccessDefinition:
    """The stack's two users: read-write (all privileges) and read-only (`readonly=1`)."""
    return AccessDefinition(
        users=(
            User(user, sha256_hex(password), grants=(ALL_PRIVILEGES,)),
            # All privileges under readonly=1, as ClickHouse's usual `readonly` profile: reads
            # anything, and writes or setting changes fail with 164 READONLY.
            User(
                readonly_user, sha256_hex(readonly_password), readonly=1, grants=(ALL_PRIVILEGES,)
            ),
        )
    )


_KEYS = {
    "users": {"password_sha256_hex", "readonly", "grants", "roles"},
    "roles": {"grants", "roles"},
    "row_policies": {"table", "using", "to"},
}


def _check_keys(path: Path, table: dict, allowed: set[str], where: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise ValueError(
            f"{path}: unknown keys {sorted(unknown)} in {where} (allowed: {sorted(allowed)})"
        )


def load(path: Path) -> AccessDefinition:
    """Users, roles and row policies from a TOML file (docs/clickhouse_server.md shows one).

    Passwords are given as SHA-256 hex digests, never in clear.
    """
    data = tomllib.loads(path.read_text())
    _check_keys(path, data, {"users", "roles", "row_policies"}, "the file")
    for section, allowed in _KEYS.items():
        for name, spec in data.get(section, {}).items():
            _check_keys(path, spec, allowed, f"{section}.{name}")
    users = tuple(
        User(
            name,
            password_sha256_hex=spec["password_sha256_hex"].lower(),
            readonly=int(spec.get("readonly", 0)),
            grants=tuple(spec.get("grants", ())),
            roles=tuple(spec.get("roles", ())),
        )
        for name, spec in data.get("users", {}).items()
    )
    roles = tuple(
        Role(name, tuple(spec.get("grants", ())), tuple(spec.get("roles", ())))
        for name, spec in data.get("roles", {}).items()
    )
    policies = tuple(
        RowPolicy(name, spec["table"], spec["using"], tuple(spec["to"]))
        for name, spec in data.get("row_policies", {}).items()
    )
    return AccessDefinition(users, roles, policies)
