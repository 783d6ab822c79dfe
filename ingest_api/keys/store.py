"""SDK keys: `olk_<random>`, stored only as sha256 in SQLite, each mapped to one project.

A key has 256 bits of entropy, so an unsalted sha256 is enough (nothing to brute-force). Lookups
go through an in-memory map refreshed every few seconds, so a revoke from the CLI takes effect
without a restart; the final comparison is constant-time (hmac.compare_digest).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

KEY_PREFIX = "olk_"
_SCHEMA = """
create table if not exists api_keys (
    key_id text primary key,
    key_sha256 text not null unique,
    project_id text not null,
    label text not null default '',
    created_at text not null,
    revoked_at text
)
"""


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key: never the key itself, nor its hash."""

    key_id: str
    project_id: str
    label: str
    created_at: str
    revoked_at: str | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    """Create, list, revoke and check SDK keys."""

    def __init__(self, path: Path, refresh_seconds: float = 5.0) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)
        self.refresh_seconds = refresh_seconds
        # first 16 hex chars of the digest -> (full digest, project)
        self._active: dict[str, tuple[str, str]] = {}
        self._loaded_at = float("-inf")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("pragma journal_mode=wal")
        return db

    def create(self, project_id: str, label: str = "") -> tuple[str, KeyInfo]:
        """A new key for `project_id`; the plaintext is returned once and never stored."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        return key, self.add(key, project_id, label)

    def add(self, key: str, project_id: str, label: str = "") -> KeyInfo:
        """Register a given key; idempotent, and a key once revoked stays revoked."""
        digest = hash_key(key)
        with self._connect() as db:
            row = db.execute(
                "select key_id from api_keys where key_sha256 = ?", (digest,)
            ).fetchone()
            if row is None:
                db.execute(
                    "insert into api_keys values (?, ?, ?, ?, ?, null)",
                    (secrets.token_hex(6), digest, project_id, label, _now()),
                )
        self._loaded_at = float("-inf")
        return next(k for k in self.list() if k.key_id == self._id_of(digest))

    def list(self) -> list[KeyInfo]:
        with self._connect() as db:
            rows = db.execute(
                "select key_id, project_id, label, created_at, revoked_at"
                " from api_keys order by created_at"
            ).fetchall()
        return [KeyInfo(*row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        with self._connect() as db:
            cur = db.execute(
                "update api_keys set revoked_at = ? where key_id = ? and revoked_at is null",
                (_now(), key_id),
            )
        self._loaded_at = float("-inf")
        return cur.rowcount > 0

    def project_for(self, key: str | None) -> str | None:
        """The project of an active key, or None."""
        if not key or not key.startswith(KEY_PREFIX) or len(key) > 256:
            return None
        if time.monotonic() - self._loaded_at > self.refresh_seconds:
            self._reload()
        digest = hash_key(key)
        # the prefix lookup finds a candidate; the full compare decides, in constant time
        candidate = self._active.get(digest[:16])
        if candidate is not None and hmac.compare_digest(candidate[0], digest):
            return candidate[1]
        return None

    def _reload(self) -> None:
        with self._connect() as db:
            rows = db.execute(
                "select key_sha256, project_id from api_keys where revoked_at is null"
            ).fetchall()
        self._active = {digest[:16]: (digest, project) for digest, project in rows}
        self._loaded_at = time.monotonic()

    def _id_of(self, digest: str) -> str:
        with self._connect() as db:
            return db.execute(
                "select key_id from api_keys where key_sha256 = ?", (digest,)
            ).fetchone()[0]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
