"""The CPU-bound part of a request, run in worker processes: decode, validate, redact, serialise.

Each worker builds its own Redactor once (`init`) and keeps its own cache. Processes, not threads:
parsing, validation and Presidio hold the GIL, and the event loop must stay free to answer.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest_api.intake import pseudonyms
from ingest_api.intake.body import decode, parse_events
from ingest_api.intake.records import to_record
from ingest_api.intake.validation import FutureBound, Rejection, validate_events
from ingest_api.pii.redaction import Redactor


@dataclass(frozen=True)
class PrepareConfig:
    """What a worker needs to know (picklable). The one secret, the pseudonym key, travels
    inside `pseudonymiser`, whose repr hides it."""

    max_decompressed_bytes: int
    max_events_per_request: int
    pii_enabled: bool
    pii_entities: tuple[str, ...]
    pii_ner_entities: tuple[str, ...]
    pii_spacy_model: str | None
    pii_fast_path: bool
    pii_cache_size: int
    pseudonymiser: pseudonyms.Pseudonymiser | None = None
    # how far ahead of the arrival an event's time may be (IngestSettings); None: no bound
    max_event_ahead: timedelta | None = None


@dataclass(frozen=True)
class Prepared:
    parts: dict[str, tuple[int, bytes]]  # per log type: events, their NDJSON lines joined
    rejected: list[Rejection]
    entities: Counter[str]


def joined(lines: dict[str, list[bytes]]) -> dict[str, tuple[int, bytes]]:
    """Each log type's lines as one bytes object and their count.

    What a worker returns is pickled, piped and unpickled in the API process: one bytes object
    per log type costs about half the CPU of a list of lines (the joining is then done here,
    not in the group commit).
    """
    return {log_type: (len(part), b"".join(part)) for log_type, part in lines.items()}


_config: PrepareConfig | None = None
_redactor: Redactor | None = None


def init(config: PrepareConfig) -> None:
    """Per-process setup: build and warm the redactor before the first request."""
    global _config, _redactor
    _config = config
    _redactor = None
    pseudonyms.install(config.pseudonymiser)
    if config.pii_enabled:
        _redactor = Redactor(
            config.pii_entities,
            ner_entities=config.pii_ner_entities,
            spacy_model=config.pii_spacy_model,
            fast_path=config.pii_fast_path,
            cache_size=config.pii_cache_size,
        )
        _redactor.warm_up()


def future_bound(config: PrepareConfig, received_at: datetime) -> FutureBound | None:
    """The bound on event times for a request that arrived at `received_at`."""
    if config.max_event_ahead is None:
        return None
    return FutureBound(received_at, config.max_event_ahead)


def ready() -> bool:
    return _config is not None


def worker_setup() -> tuple[PrepareConfig, Redactor | None]:
    """This process's config and redactor, for the worker steps of other formats (OTLP)."""
    assert _config is not None, "prepare.init() was not called in this process"
    return _config, _redactor


def prepare(
    body: bytes,
    content_encoding: str | None,
    content_type: str | None,
    received_at: datetime,
    project_id: str,
) -> Prepared:
    """Raises BodyError for a body refused as a whole."""
    assert _config is not None, "prepare.init() was not called in this process"
    data = decode(body, content_encoding, _config.max_decompressed_bytes)
    raw = parse_events(data, content_type, _config.max_events_per_request)
    validated = validate_events(raw, future_bound(_config, received_at))
    lines: dict[str, list[bytes]] = defaultdict(list)
    entities: Counter[str] = Counter()
    for event in validated.events:
        lines[event.log_type].append(
            to_record(
                event,
                received_at=received_at,
                project_id=project_id,
                redactor=_redactor,
                entity_counts=entities,
            )
        )
    return Prepared(joined(lines), validated.rejected, entities)
