"""The ingest API (prefix `OLLIVE_INGEST_`): where it listens, its limits, spool, keys and PII."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings

from ollive_contract.settings.base import env_config
from ollive_contract.settings.object_store import ObjectStoreSettings

DEFAULT_PII_ENTITIES = [
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "US_SSN",
    "CREDIT_CARD",
    "IP_ADDRESS",
    "IBAN_CODE",
    # no model needed: a name lexicon and context rules (ingest_api/pii/person_recognizer.py)
    "PERSON",
]
# The public key of loopback-only stacks (local, tests); refused when the API binds any other
# address (docker compose binds 0.0.0.0): pseudonyms made with it can be reversed by anyone.
DEV_USER_ID_KEY = "ollive-local-dev-user-id-key"
# what a per-project quota override may set (`quota_overrides`)
QUOTA_FIELDS = ("events_per_second", "events_burst", "requests_per_second", "requests_burst")


class IngestSettings(BaseSettings):
    """Limits, group-commit bounds, spool and PII redaction of the ingest API."""

    model_config = env_config("OLLIVE_INGEST_")

    host: str = Field("127.0.0.1", description="Address the API binds.")
    port: int = Field(8000, description="Port the API listens on.")
    demo_api_key: SecretStr = Field(
        SecretStr("olk_demo_local_only_key"),
        description="SDK key provisioned for project `demo` when `provision_demo_key` is on.",
    )

    # request limits
    max_body_bytes: int = Field(5 * 2**20, description="Largest request body as sent (413).")
    max_decompressed_bytes: int = Field(
        50 * 2**20, description="Largest body after gzip; a bomb is cut off while inflating (413)."
    )
    max_events_per_request: int = Field(10_000, description="Most events in one request (413).")
    max_event_ahead_hours: float = Field(
        24.0,
        gt=0,
        le=876_000,  # 100 years: the bound stays a representable time
        description=(
            "An event whose started_at or finished_at is more than this many hours ahead of "
            "the server's clock is rejected (too_far_ahead); the rest of its batch is kept."
        ),
    )

    prepare_workers: int = Field(
        2,
        ge=0,
        description="Processes that decode, validate and redact; 0 runs it on one thread.",
    )

    # group commit
    commit_max_events: int = Field(20_000, description="A commit closes at this many events.")
    commit_max_bytes: int = Field(
        32 * 2**20, description="A commit closes at this many uncompressed NDJSON bytes."
    )
    commit_max_ms: float = Field(
        50.0, description="A commit closes this long after its first event arrived."
    )
    commit_concurrency: int = Field(4, description="Commits uploading at the same time.")
    gzip_level: int = Field(
        2, ge=0, le=3, description="ISA-L gzip level of the stored objects (0-3; 3 is smallest)."
    )

    # durability when the store is down
    spool_dir: Path = Field(
        Path(".ollive/ingest/spool"),
        description="Local spool (`ollive up`: <state_dir>/ingest/spool).",
    )
    spool_max_bytes: int = Field(
        2 * 2**30, description="Spool size at which requests get 503 + Retry-After."
    )
    spool_retry_seconds: float = Field(2.0, description="Pause between re-upload attempts.")
    store_timeout_seconds: float = Field(5.0, description="Connect/read timeout of one S3 call.")

    # keys
    keys_db: Path = Field(
        Path(".ollive/ingest/keys.sqlite"),
        description="SQLite file of hashed SDK keys (`ollive up`: <state_dir>/ingest/keys.sqlite).",
    )
    keys_database_url: SecretStr | None = Field(
        None,
        description=(
            "Postgres URL of the key store shared by several replicas (postgresql://user:"
            "password@host:port/db); replaces `keys_db` when set."
        ),
    )
    provision_demo_key: bool = Field(
        True, description="Map `demo_api_key` to project `demo` at startup (idempotent)."
    )

    # quotas: a token bucket per API key, in each replica's memory (docs/tenancy.md)
    quota_events_per_second: float = Field(
        0.0, ge=0, description="Events/s each API key may send (429 above it); 0 turns it off."
    )
    quota_events_burst: float = Field(
        10_000.0, gt=0, description="Events a key may send at once before the rate applies."
    )
    quota_requests_per_second: float = Field(
        0.0, ge=0, description="Requests/s each API key may make (429 above it); 0 turns it off."
    )
    quota_requests_burst: float = Field(
        100.0, gt=0, description="Requests a key may make at once before the rate applies."
    )
    quota_overrides: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description=(
            "Per-project quotas for that project's keys, replacing the defaults field by field, "
            'e.g. {"acme":{"events_per_second":5000,"events_burst":50000}}.'
        ),
    )
    quota_lease_seconds: float = Field(
        0.2,
        ge=0,
        le=60,
        description=(
            "Key store on Postgres: seconds of a key's rate (at most its burst) each replica "
            "leases from the shared bucket at once; N replicas may go over by N leases."
        ),
    )
    quota_store_timeout_ms: float = Field(
        100.0,
        gt=0,
        description=(
            "Key store on Postgres: longest wait for the shared quota bucket; past it, or if "
            "Postgres is down, the replica's own bucket decides."
        ),
    )

    # PII
    pii_enabled: bool = Field(True, description="Redact PII from every free-text field.")
    pii_entities: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PII_ENTITIES),
        description="Presidio entities to redact (patterns; PERSON by name lexicon; no model).",
    )
    pii_ner_entities: list[str] = Field(
        default_factory=lambda: ["PERSON", "LOCATION"],
        description="NER entities added when `pii_spacy_model` is installed (spaCy).",
    )
    pii_spacy_model: str = Field(
        "en_core_web_sm", description="spaCy model for NER entities, used only if installed."
    )
    pii_fast_path: bool = Field(
        True, description="Skip Presidio for strings that provably cannot match (same result)."
    )
    pii_cache_size: int = Field(20_000, description="Redaction results kept (LRU) per process.")

    # user-id pseudonyms (ingest_api/intake/pseudonyms.py; rotation: docs/reliability.md)
    user_id_key: SecretStr = Field(
        SecretStr(DEV_USER_ID_KEY),
        description="HMAC-SHA256 key of the user-id pseudonyms made at ingest; secret off loopback",
    )
    user_id_key_id: str = Field(
        "dev",
        pattern=r"^[a-z0-9][a-z0-9-]{0,15}$",
        description="Id of `user_id_key`, the prefix of every pseudonym; a new key needs a new id.",
    )

    s3: ObjectStoreSettings = Field(
        default_factory=ObjectStoreSettings, description="Where the raw objects go (OLLIVE_S3_*)."
    )

    @model_validator(mode="after")
    def _exposed_needs_a_user_id_key(self) -> IngestSettings:
        if _is_loopback(self.host):
            return self
        if self.user_id_key.get_secret_value() in ("", DEV_USER_ID_KEY):
            raise ValueError(
                "OLLIVE_INGEST_USER_ID_KEY must be set to a secret of your own when the API "
                "binds a non-loopback address: the default is public, so user pseudonyms made "
                "with it can be reversed by anyone with a list of user ids."
            )
        return self

    @field_validator("quota_overrides")
    @classmethod
    def _known_quota_fields(cls, overrides: dict[str, dict[str, float]]) -> dict:
        for project, fields in overrides.items():
            unknown = set(fields) - set(QUOTA_FIELDS)
            if unknown:
                raise ValueError(f"quota_overrides[{project!r}]: unknown {sorted(unknown)}")
            if any(value < 0 for value in fields.values()):
                raise ValueError(f"quota_overrides[{project!r}]: a quota cannot be negative")
        return overrides

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def spool_path(self) -> Path:
        return self.spool_dir.resolve()

    @property
    def keys_path(self) -> Path:
        return self.keys_db.resolve()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface
