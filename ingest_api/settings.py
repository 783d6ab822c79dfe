"""The ingest API's own knobs (prefix `OLLIVE_INGEST_`), read once at the edge and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ollive.settings import OlliveSettings

DEFAULT_PII_ENTITIES = [
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "US_SSN",
    "CREDIT_CARD",
    "IP_ADDRESS",
    "IBAN_CODE",
]


class IngestSettings(BaseSettings):
    """Limits, group-commit bounds, spool and PII redaction of the ingest API."""

    model_config = SettingsConfigDict(
        env_prefix="OLLIVE_INGEST_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    stack: OlliveSettings = Field(
        default_factory=OlliveSettings,
        description="Shared stack settings (S3, port, state dir, demo key), prefix OLLIVE_.",
    )
    host: str | None = Field(None, description="Bind address; defaults to the stack's host.")
    port: int | None = Field(None, description="Listen port; defaults to OLLIVE_INGEST_PORT.")

    # request limits
    max_body_bytes: int = Field(5 * 2**20, description="Largest request body as sent (413).")
    max_decompressed_bytes: int = Field(
        50 * 2**20, description="Largest body after gzip; a bomb is cut off while inflating (413)."
    )
    max_events_per_request: int = Field(10_000, description="Most events in one request (413).")

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
    gzip_level: int = Field(3, ge=1, le=9, description="zlib level of the stored objects.")

    # durability when the store is down
    spool_dir: Path | None = Field(
        None, description="Local spool; defaults to <state_dir>/ingest/spool."
    )
    spool_max_bytes: int = Field(
        2 * 2**30, description="Spool size at which requests get 503 + Retry-After."
    )
    spool_retry_seconds: float = Field(2.0, description="Pause between re-upload attempts.")
    store_timeout_seconds: float = Field(5.0, description="Connect/read timeout of one S3 call.")

    # keys
    keys_db: Path | None = Field(
        None, description="SQLite file of SDK keys; defaults to <state_dir>/ingest/keys.sqlite."
    )
    provision_demo_key: bool = Field(
        True, description="Map OLLIVE_DEMO_API_KEY to project `demo` at startup (idempotent)."
    )

    # PII
    pii_enabled: bool = Field(True, description="Redact PII from every free-text field.")
    pii_entities: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PII_ENTITIES),
        description="Presidio entities to redact (pattern recognizers; no model needed).",
    )
    pii_ner_entities: list[str] = Field(
        default_factory=lambda: ["PERSON", "LOCATION"],
        description="NER entities added when `pii_spacy_model` is installed.",
    )
    pii_spacy_model: str = Field(
        "en_core_web_sm", description="spaCy model for NER entities, used only if installed."
    )
    pii_fast_path: bool = Field(
        True, description="Skip Presidio for strings that provably cannot match (same result)."
    )
    pii_cache_size: int = Field(20_000, description="Redaction results kept (LRU) per process.")

    @property
    def bind_host(self) -> str:
        return self.host or self.stack.host

    @property
    def bind_port(self) -> int:
        return self.port or self.stack.ingest_port

    @property
    def spool_path(self) -> Path:
        return self.spool_dir or self.stack.state_path / "ingest" / "spool"

    @property
    def keys_path(self) -> Path:
        return self.keys_db or self.stack.state_path / "ingest" / "keys.sqlite"
