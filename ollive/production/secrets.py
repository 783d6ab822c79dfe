"""Which values the compose stack refuses as secrets, and how strong ones are generated.

The refused values are the registry's public defaults (the embedded stack's, written in this
repository and in `.env.example`), not a copy of them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from ingest_api.keys.store import KEY_PREFIX
from ollive_contract.settings import REGISTRY
from ollive_contract.settings.base import public_defaults

MIN_SECRET_LENGTH = 16
SDK_KEY = "OLLIVE_API_KEY"
# interpolated into a database URI by docker-compose.yml: no character that would need escaping
URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")
URL_SAFE_SECRETS = {"OLLIVE_POSTGRES_PASSWORD"}


def public_values() -> set[str]:
    """Every secret default of the registry (the local stack's passwords, salt, demo key)."""
    return {value for settings in REGISTRY for value in public_defaults(settings).values()}


def is_secret(name: str) -> bool:
    """Key ids name an identity; everything else compose requires is a secret."""
    return not name.endswith("ACCESS_KEY")


def generate(name: str) -> str:
    """A fresh value for `name`: an SDK key for the SDK's variable, 256 random bits otherwise."""
    if name == SDK_KEY:
        return KEY_PREFIX + secrets.token_urlsafe(32)
    if not is_secret(name):
        return "ollive" + secrets.token_hex(8)
    return secrets.token_urlsafe(32)


def refused(env: Mapping[str, str]) -> list[str]:
    """Why each secret of `env` cannot run in production; empty when all can."""
    public = public_values()
    reasons = []
    for name, value in sorted(env.items()):
        if not is_secret(name):
            continue
        if value in public:
            reasons.append(f"{name} is a public default from .env.example")
        elif len(value) < MIN_SECRET_LENGTH:
            reasons.append(f"{name} is shorter than {MIN_SECRET_LENGTH} characters")
        elif name in URL_SAFE_SECRETS and not URL_SAFE.fullmatch(value):
            reasons.append(f"{name} may use only letters, digits and . _ ~ -")
        elif name == SDK_KEY and not value.startswith(KEY_PREFIX):
            reasons.append(f"{name} must start with {KEY_PREFIX}")
    return reasons
