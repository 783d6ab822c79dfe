"""User ids never stored raw: a keyed HMAC-SHA256 pseudonym, made at ingest before the archive.

A pseudonym is `<key id>:<64 hex>`. The key id says which key made it, so a rotated key and the
one before it can coexist in the archive (and a data-subject request can be answered by hashing
the id under every key still held). The same id under the same key always gives the same
pseudonym, so the marts still group per user; without the key, a list of candidate ids cannot
be hashed to find a user (unlike a plain or public-salted hash).

Which fields: the contract's `user_id`, and metadata values under the keys producers commonly use
for a user (`USER_ID_METADATA_KEYS`). Conversation, session, trace and event ids are left as
they are: the SDK and the apps generate them at random, scores and the marts join on them, and
free text in them is already redacted like every other string.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from typing import Any

PSEUDONYMISED_FIELDS: tuple[str, ...] = ("user_id",)
USER_ID_METADATA_KEYS = frozenset({"user_id", "userId", "user.id", "enduser.id", "end_user_id"})
KEY_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,15}")
_CACHE_SIZE = 65_536


class Pseudonymiser:
    """HMAC-SHA256 under one key; picklable for the worker processes, its repr hides the key."""

    def __init__(self, key_id: str, key: str) -> None:
        if not KEY_ID_PATTERN.fullmatch(key_id):
            raise ValueError("a pseudonym key id is 1-16 lowercase letters, digits or '-'")
        if not key:
            raise ValueError("the pseudonym key is empty")
        self.key_id = key_id
        self._key = key.encode()
        self.pseudonym = functools.lru_cache(maxsize=_CACHE_SIZE)(self._pseudonym)

    def _pseudonym(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return f"{self.key_id}:{digest.hexdigest()}"

    def fields_of(self, event: Any) -> dict[str, str]:
        """The pseudonymised identifier fields of a contract event (only those it has set)."""
        updates = {}
        for name in PSEUDONYMISED_FIELDS:
            value = getattr(event, name, None)
            if isinstance(value, str):
                updates[name] = self.pseudonym(value)
        return updates

    def metadata_of(self, metadata: dict[str, Any]) -> dict[str, str]:
        """Pseudonyms of the user-id values of `metadata`, by key (empty when it holds none)."""
        return {
            key: self.pseudonym(str(value))
            for key, value in metadata.items()
            if key in USER_ID_METADATA_KEYS and value is not None
        }

    def __getstate__(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "key": self._key}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["key_id"], state["key"].decode())  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"Pseudonymiser(key_id={self.key_id!r}, key=***)"


_installed: Pseudonymiser | None = None


def install(pseudonymiser: Pseudonymiser | None) -> None:
    """This process's pseudonymiser (set by `prepare.init`, like the redactor)."""
    global _installed
    _installed = pseudonymiser


def installed() -> Pseudonymiser | None:
    return _installed
