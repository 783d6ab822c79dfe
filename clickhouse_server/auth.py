"""HTTP credentials, checked the way ClickHouse's HTTP interface takes them, against the users
of the engine's access storage (`access.py`).

Only SHA-256 digests of passwords are held; they are compared in constant time, never logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable, Mapping

from clickhouse_server import errors
from clickhouse_server.access import User, sha256_hex

__all__ = ["Authenticator", "User"]


class Authenticator:
    """Resolves the request's credentials to a `User`, or fails with AUTHENTICATION_FAILED."""

    def __init__(self, users: Iterable[User]) -> None:
        self._users = {user.name: user for user in users}

    def authenticate(self, headers: Mapping[str, str], params: Mapping[str, str]) -> User:
        """Credentials from one of: X-ClickHouse-User/Key, Basic auth, user/password params."""
        name, password = _credentials(headers, params)
        user = self._users.get(name)
        # Compare against a dummy when the user is unknown so timing does not reveal user names.
        expected = user.password_sha256_hex if user is not None else "0" * 64
        if not hmac.compare_digest(sha256_hex(password), expected) or user is None:
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
