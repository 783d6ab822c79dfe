"""Turns a validated event into the line that is stored: redacted, truncated, server fields set."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import datetime
from typing import Any

import orjson

from ingest_api.intake import pseudonyms
from ingest_api.intake.validation import ContractEvent
from ingest_api.pii.redaction import Redactor
from ollive_contract.events import (
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
    """One NDJSON line (with its newline) for the stored object.

    Works on the validated model and lets pydantic write the JSON: converting every event to
    a dict and back cost more than validation itself. Models are frozen, so a changed field
    means a copy, which only events with PII or long previews pay for.

    Fields that are null are left out (every one is optional in the contract, and a reader
    takes a missing field as null): a typical line is a quarter shorter, and ClickHouse parses
    the objects with about a tenth less CPU (docs/dagster.md, "Load throughput"). Null values
    inside `metadata` stay: there a key with no value is data.
    """
    found: set[str] = set()
    updates = _cleaned(event, FREE_TEXT_FIELDS[event.log_type], redactor, found, entity_counts)
    calls = event.tool_calls if isinstance(event, InferenceEvent) else None
    if calls:
        cleaned = [_copy(c, _cleaned(c, _CALL_TEXT, redactor, found, entity_counts)) for c in calls]
        if any(new is not old for new, old in zip(cleaned, calls, strict=True)):
            updates["tool_calls"] = cleaned
    if redactor is not None and event.metadata:
        metadata = _redacted_metadata(event.metadata, redactor, found, entity_counts)
        if metadata is not None:
            updates["metadata"] = metadata
    _pseudonymise(event, updates)
    record = _copy(event, updates)
    # the model's own serializer: the same JSON as the union's adapter (the model is known
    # here), without its dispatch, ~1.7 CPU-us/event less (bench/ingest_prepare.py, encode)
    body = record.__pydantic_serializer__.to_json(record, exclude_none=True)
    # server fields last, so nothing the client sent can survive under these names (the
    # models drop unknown keys, so the dump holds none of them)
    return body[:-1] + _request_fields(received_at, project_id) + _pii_fields(frozenset(found))


def _pseudonymise(event: ContractEvent, updates: dict[str, Any]) -> None:
    """User ids → keyed pseudonyms (`intake/pseudonyms.py`), from the values as sent."""
    pseudonymiser = pseudonyms.installed()
    if pseudonymiser is None:
        return
    updates.update(pseudonymiser.fields_of(event))
    if event.metadata:
        ids = pseudonymiser.metadata_of(event.metadata)
        if ids:
            updates["metadata"] = {**updates.get("metadata", event.metadata), **ids}


@functools.lru_cache(maxsize=64)
def _request_fields(received_at: datetime, project_id: str) -> bytes:
    """The same for every event of a request: serialised once."""
    return (
        b","
        + orjson.dumps({"received_at": received_at.isoformat(), "project_id": project_id})[1:-1]
    )


@functools.lru_cache(maxsize=256)
def _pii_fields(found: frozenset[str]) -> bytes:
    doc = {
        "pii_detected": bool(found),
        "pii_entities": sorted(found),
        "schema_version": SCHEMA_VERSION,
    }
    return b"," + orjson.dumps(doc)[1:] + b"\n"


_CALL_TEXT = ("arguments_preview",)


def _cleaned(
    model: Any,
    names: tuple[str, ...],
    redactor: Redactor | None,
    found: set[str],
    entity_counts: Counter[str],
) -> dict[str, Any]:
    """The model's changed text fields: redacted, then previews cut to length.

    Only fields with findings enter the result: an event without PII builds nothing to copy.
    """
    updates: dict[str, Any] = {}
    if redactor is not None:
        for name in names:
            value = getattr(model, name)
            if isinstance(value, str) and value:
                clean, entities = redactor.redact(value)
                if entities:
                    updates[name] = clean
                    _count(entities, found, entity_counts)
    for name in _previews_of(type(model)):
        value = updates.get(name, getattr(model, name))
        # after redaction, so a cut can never split an entity into an unrecognisable remainder
        if isinstance(value, str) and len(value) > PREVIEW_MAX_CHARS:
            updates[name] = value[:PREVIEW_MAX_CHARS]
    return updates


@functools.cache
def _previews_of(model: type) -> tuple[str, ...]:
    # only the model's own fields: a missing attribute costs pydantic an exception
    return tuple(name for name in _PREVIEW_FIELDS if name in model.model_fields)


def _redacted_metadata(
    metadata: dict[str, Any],
    redactor: Redactor,
    found: set[str],
    entity_counts: Counter[str],
) -> dict[str, Any] | None:
    """`metadata` with its string values redacted, or None when nothing changed (no copy)."""
    changed: dict[str, Any] | None = None
    for key, value in metadata.items():
        if isinstance(value, str) and value:
            clean, entities = redactor.redact(value)
            if entities:
                if changed is None:
                    changed = dict(metadata)
                changed[key] = clean
                _count(entities, found, entity_counts)
    return changed


def _count(entities: frozenset[str], found: set[str], entity_counts: Counter[str]) -> None:
    found.update(entities)
    entity_counts.update(entities)


def _copy(model: Any, updates: dict[str, Any]) -> Any:
    return model.model_copy(update=updates) if updates else model
