"""Turns a validated event into the line that is stored: redacted, truncated, server fields set."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import orjson

from ingest_api.redaction import Redactor
from ingest_api.validation import ContractEvent
from ollive.contract.events import (
    EVENT_ADAPTER,
    FREE_TEXT_FIELDS,
    PREVIEW_MAX_CHARS,
    SCHEMA_VERSION,
    ApplicationEvent,
    InferenceEvent,
    ToolCall,
    ToolExecutionEvent,
)

# the models ignore unknown keys, so a dumped event holds no other *_preview field
_PREVIEW_FIELDS = tuple(
    sorted(
        {
            name
            for model in (InferenceEvent, ToolExecutionEvent, ApplicationEvent, ToolCall)
            for name in model.model_fields
            if name.endswith("_preview")
        }
    )
)


def to_record(
    event: ContractEvent,
    *,
    received_at: datetime,
    project_id: str,
    redactor: Redactor | None,
    entity_counts: Counter[str],
) -> bytes:
    """One NDJSON line (with its newline) for the stored object."""
    doc: dict[str, Any] = EVENT_ADAPTER.dump_python(event, mode="json")
    found: set[str] = set()
    if redactor is not None:
        _redact_fields(doc, FREE_TEXT_FIELDS[doc["log_type"]], redactor, found, entity_counts)
        for call in doc.get("tool_calls") or ():
            _redact_fields(call, ("arguments_preview",), redactor, found, entity_counts)
        metadata = doc.get("metadata") or {}
        _redact_fields(metadata, tuple(metadata), redactor, found, entity_counts)
    _truncate_previews(doc)
    for call in doc.get("tool_calls") or ():
        _truncate_previews(call)
    # server fields last, so nothing the client sent can survive under these names
    doc["received_at"] = received_at.isoformat()
    doc["project_id"] = project_id
    doc["pii_detected"] = bool(found)
    doc["pii_entities"] = sorted(found)
    doc["schema_version"] = SCHEMA_VERSION
    return orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE)


def _redact_fields(
    doc: dict[str, Any],
    names: tuple[str, ...],
    redactor: Redactor,
    found: set[str],
    entity_counts: Counter[str],
) -> None:
    for name in names:
        value = doc.get(name)
        if isinstance(value, str) and value:
            clean, entities = redactor.redact(value)
            if entities:
                doc[name] = clean
                found.update(entities)
                entity_counts.update(entities)


def _truncate_previews(doc: dict[str, Any]) -> None:
    # after redaction, so a cut can never split an entity into an unrecognisable remainder
    for name in _PREVIEW_FIELDS:
        value = doc.get(name)
        if isinstance(value, str) and len(value) > PREVIEW_MAX_CHARS:
            doc[name] = value[:PREVIEW_MAX_CHARS]
