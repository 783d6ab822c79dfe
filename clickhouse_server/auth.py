"""Users and their credentials, checked the way ClickHouse's HTTP interface takes them.

Two users: the read-write one (dbt, Dagster loads) and a `readonly=1` one (Superset).
Passwords are compared in constant time and never logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from clickhouse_server import errors


@dataclass(frozen=True)
class User:
    """A ClickHouse user of this server; `readonly` is its profile's `readonly` level."""

    name: str
    password: str
    readonly: int = 0

    def __repr__(self) -> str:  # keep the password out of logs and tracebacks
        return f"User(name={self.name!r}, readonly={self.readonly})"


class Authenticator:
    """Resolves the request's credentials to a `User`, or fails with AUTHENTICATION_FAILED."""

    def __init__(self, users: list[User]) -> None:
        self._users = {user.name: user for user in users}

    def authenticate(self, headers: Mapping[str, str], params: Mapping[str, str]) -> User:
        """Credentials from one of: X-ClickHouse-User/Key, Basic auth, user/password params."""
        name, password = _credentials(headers, params)
        user = self._users.get(name)
        # Compare against a dummy when the user is unknown so timing does not reveal user names.
        expected = user.password if user is not None else "\0" * 32
        if not hmac.compare_digest(password.encode(), expected.encode()) or user is None:
            raise errors.ClickHouseError(
                errors.AUTHENTICATION_FAILED,
                f"{name}: Authentication failed: password is incorrect, "
                "or there is no user with such name",
            )
        return user


def _credentials(headers: Mapping[str, str], params: Mapping[str, str]) -> tuple[str, str]:
    header_user = headers.get("x-clickhouse-user")
    authorization = headers.get("authorization")
    in_params = "user" in params or "password" in params
    if header_user is not None:
        if authorization is not None or in_params:
            raise _multiple_methods("X-ClickHouse HTTP headers")
        return header_user, headers.get("x-clickhouse-key", "")
    if authorization is not None:
        if in_params:
            raise _multiple_methods("Authorization HTTP header")
        scheme, _, info = authorization.partition(" ")
        if scheme.lower() != "basic":
            raise errors.ClickHouseError(
                errors.AUTHENTICATION_FAILED,
                f"Invalid authentication: '{scheme}' HTTP Authorization scheme is not supported",
            )
        try:
            decoded = base64.b64decode(info.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise errors.ClickHouseError(
                errors.AUTHENTICATION_FAILED, "Invalid authentication: malformed Basic credentials"
            ) from None
        user, _, password = decoded.partition(":")
        return user, password
    return params.get("user", "default") or "default", params.get("password", "")


def _multiple_methods(method: str) -> errors.ClickHouseError:
    return errors.ClickHouseError(
        errors.AUTHENTICATION_FAILED,
        f"Invalid authentication: it is not allowed to use {method} "
        "and another authentication method simultaneously",
    )
