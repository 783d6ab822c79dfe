"""SDK keys: `olk_<random>`, stored only as sha256, each mapped to one project.

A key has 256 bits of entropy, so an unsalted sha256 is enough (nothing to brute-force). The
rows live in SQLite (one machine) or Postgres (shared by every ingest replica; see
`databases.py`). Lookups go through an in-memory map refreshed every few seconds, so a revoke
from the CLI, or from another replica, takes effect without a restart; the final comparison
is constant-time (hmac.compare_digest).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest_api.keys.databases import KeyDatabase, PostgresKeyDatabase, SqliteKeyDatabase
from ollive_contract.settings import IngestSettings

KEY_PREFIX = "olk_"
log = logging.getLogger(__name__)


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

    def __init__(self, database: Path | KeyDatabase, refresh_seconds: float = 5.0) -> None:
        """`database`: a SQLite file's path, or an open `KeyDatabase` (Postgres)."""
        self.db = SqliteKeyDatabase(database) if isinstance(database, Path) else database
        self.refresh_seconds = refresh_seconds
        # first 16 hex chars of the digest -> (full digest, project)
        self._active: dict[str, tuple[str, str]] = {}
        self._loaded_at = float("-inf")
        self._reload_lock = threading.Lock()

    def create(self, project_id: str, label: str = "") -> tuple[str, KeyInfo]:
        """A new key for `project_id`; the plaintext is returned once and never stored."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        return key, self.add(key, project_id, label)

    def add(self, key: str, project_id: str, label: str = "") -> KeyInfo:
        """Register a given key; idempotent (replicas may add one at once), and a key once
        revoked stays revoked."""
        digest = hash_key(key)
        self.db.execute(
            "insert into api_keys values (?, ?, ?, ?, ?, null) on conflict (key_sha256) do nothing",
            (secrets.token_hex(6), digest, project_id, label, _now()),
        )
        self._loaded_at = float("-inf")
        ((key_id,),) = self.db.query("select key_id from api_keys where key_sha256 = ?", (digest,))
        return next(k for k in self.list() if k.key_id == key_id)

    def list(self) -> list[KeyInfo]:
        rows = self.db.query(
            "select key_id, project_id, label, created_at, revoked_at"
            " from api_keys order by created_at, key_id"
        )
        return [KeyInfo(*row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        touched = self.db.execute(
            "update api_keys set revoked_at = ? where key_id = ? and revoked_at is null",
            (_now(), key_id),
        )
        self._loaded_at = float("-inf")
        return touched > 0

    def project_for(self, key: str | None) -> str | None:
        """The project of an active key, or None."""
        if not key or not key.startswith(KEY_PREFIX) or len(key) > 256:
            return None
        if self.stale():
            self.refresh()
        digest = hash_key(key)
        # the prefix lookup finds a candidate; the full compare decides, in constant time
        candidate = self._active.get(digest[:16])
        if candidate is not None and hmac.compare_digest(candidate[0], digest):
            return candidate[1]
        return None

    def stale(self) -> bool:
        """Whether the next check would reload the active keys first (a query)."""
        return time.monotonic() - self._loaded_at > self.refresh_seconds

    def refresh(self) -> None:
        """Reload the active keys: the API runs it on a worker thread when `stale()`, so a slow
        shared store never holds its event loop; concurrent callers wait for one reload."""
        with self._reload_lock:
            if self.stale():
                self._reload()

    def _reload(self) -> None:
        try:
            rows = self.db.query(
                "select key_sha256, project_id from api_keys where revoked_at is null"
            )
        except Exception:
            if self._loaded_at == float("-inf"):
                raise
            # a shared store that is briefly unreachable: keep the last map, retry next refresh
            log.warning("key store unreachable; checking keys against the last loaded set")
            self._loaded_at = time.monotonic()
            return
        self._active = {digest[:16]: (digest, project) for digest, project in rows}
        self._loaded_at = time.monotonic()


def open_key_store(settings: IngestSettings, refresh_seconds: float = 5.0) -> KeyStore:
    """The store the settings name: Postgres when `keys_database_url` is set, else SQLite."""
    if settings.keys_database_url is not None:
        url = settings.keys_database_url.get_secret_value()
        return KeyStore(PostgresKeyDatabase(url), refresh_seconds)
    return KeyStore(settings.keys_path, refresh_seconds)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
