"""The worker step of `POST /v1/traces`: decode, map spans, validate, redact, serialise, archive.

Runs in the prepare workers like the native step (`intake/prepare.py`), with their redactor; the
mapped events go through the native validation and record code, so an OTLP event is stored
exactly as the same event sent natively would be.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from ingest_api.intake import pseudonyms
from ingest_api.intake.body import BodyError, RawEvent, decode
from ingest_api.intake.prepare import future_bound, joined, worker_setup
from ingest_api.intake.records import to_record
from ingest_api.intake.validation import Rejection, validate_events
from ingest_api.otlp.archive import archive_line
from ingest_api.otlp.decode import PROTOBUF, parse_request
from ingest_api.otlp.mapping import map_span
from ingest_api.otlp.spans import SpanError, count_spans, iter_spans
from ollive_contract.object_keys import OTLP_TRACES_ARCHIVE


@dataclass(frozen=True)
class PreparedTraces:
    parts: dict[str, tuple[int, bytes]]  # per log type, and the archive: lines, joined
    spans: int
    accepted: int
    rejected: list[Rejection]  # index: the span's position in the request
    dropped: Counter[str]  # spans that are not GenAI (or not mapped), by reason
    entities: Counter[str]


def prepare_traces(
    body: bytes,
    content_encoding: str | None,
    media_type: str,
    received_at: datetime,
    project_id: str,
) -> PreparedTraces:
    """Raises BodyError for a request refused as a whole."""
    config, redactor = worker_setup()
    doc = parse_request(decode(body, content_encoding, config.max_decompressed_bytes), media_type)
    spans = count_spans(doc)
    if spans > config.max_events_per_request:
        raise BodyError(
            413, "too_many_events", f"at most {config.max_events_per_request} spans per request"
        )
    mapped: list[RawEvent] = []
    positions: list[int] = []
    rejected: list[Rejection] = []
    dropped: Counter[str] = Counter()
    for item in iter_spans(doc):
        if isinstance(item, tuple):
            rejected.append(Rejection(item[0], str(item[1]), "bad_span"))
            continue
        try:
            event = map_span(item)
        except SpanError as exc:
            rejected.append(Rejection(item.index, str(exc), "bad_span"))
            continue
        if isinstance(event, str):
            dropped[event] += 1
        else:
            mapped.append(RawEvent(event))
            positions.append(item.index)
    validated = validate_events(mapped, future_bound(config, received_at))
    rejected.extend(Rejection(positions[r.index], r.reason, r.code) for r in validated.rejected)
    lines: dict[str, list[bytes]] = defaultdict(list)
    entities: Counter[str] = Counter()
    for event in validated.events:
        lines[event.log_type].append(
            to_record(
                event,
                received_at=received_at,
                project_id=project_id,
                redactor=redactor,
                entity_counts=entities,
            )
        )
    if spans:
        lines[OTLP_TRACES_ARCHIVE].append(
            archive_line(
                doc,
                encoding="protobuf" if media_type == PROTOBUF else "json",
                spans=spans,
                received_at=received_at,
                project_id=project_id,
                redactor=redactor,
                pseudonymiser=pseudonyms.installed(),
            )
        )
    rejected.sort(key=lambda r: r.index)
    return PreparedTraces(joined(lines), spans, len(validated.events), rejected, dropped, entities)
