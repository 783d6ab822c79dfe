"""The raw archive of OTLP requests: each request's OTLP/JSON form, redacted, one NDJSON line.

Stored beside the events in the same group commit (`raw/otlp_traces/v1/…`), so an acked request
is archived too, and a mapping fix can be replayed over the requests as they came: all spans,
GenAI or not, every attribute. Every string is redacted except ids, keys and numbers, and the
values of the attributes the events store as ids and names (`IDENTIFIER_ATTRIBUTES`: model,
provider, tool call id, …), which the events keep as sent too; checking those cost most of the
archive's redaction (a tool call id's digits send it through the phone-number matcher).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import orjson

from ingest_api.intake.pseudonyms import USER_ID_METADATA_KEYS, Pseudonymiser
from ingest_api.otlp.mapping import IDENTIFIER_ATTRIBUTES, MAPPING_VERSION
from ingest_api.pii.redaction import Redactor

ARCHIVE_FORMAT_VERSION = 1
_NOT_TEXT = frozenset(
    {
        "traceId",
        "spanId",
        "parentSpanId",
        "traceState",
        "key",
        "startTimeUnixNano",
        "endTimeUnixNano",
        "timeUnixNano",
        "intValue",
        "doubleValue",
        "bytesValue",
        "schemaUrl",
    }
)


_SCALAR_VALUES = ("stringValue", "intValue", "doubleValue", "boolValue")


def archive_line(
    doc: dict[str, Any],
    *,
    encoding: str,
    spans: int,
    received_at: datetime,
    project_id: str,
    redactor: Redactor | None,
    pseudonymiser: Pseudonymiser | None = None,
) -> bytes:
    """The request's line in the archive (redacts and pseudonymises `doc` in place)."""
    as_sent = IDENTIFIER_ATTRIBUTES
    if pseudonymiser is not None:
        _pseudonymise(doc, pseudonymiser)
        as_sent = IDENTIFIER_ATTRIBUTES | USER_ID_METADATA_KEYS
    if redactor is not None:
        _redact(doc, redactor, Counter(), as_sent)
    line = {
        "archive_format": ARCHIVE_FORMAT_VERSION,
        "received_at": received_at.isoformat(),
        "project_id": project_id,
        "mapping_version": MAPPING_VERSION,
        "encoding": encoding,
        "spans": spans,
        "request": doc,
    }
    return orjson.dumps(line) + b"\n"


def _pseudonymise(node: Any, pseudonymiser: Pseudonymiser) -> None:
    """User-id attributes (`user.id`, `enduser.id`, …) → the pseudonym their event carries, so
    the archive holds no raw user id and a replay gives the events the same pseudonyms."""
    if isinstance(node, dict):
        value = node.get("value")
        if node.get("key") in USER_ID_METADATA_KEYS and isinstance(value, dict):
            raw = next((v for k, v in value.items() if k in _SCALAR_VALUES), None)
            if raw is not None:
                node["value"] = {"stringValue": pseudonymiser.pseudonym(str(raw))}
            return
        for child in node.values():
            if isinstance(child, dict | list):
                _pseudonymise(child, pseudonymiser)
    elif isinstance(node, list):
        for child in node:
            _pseudonymise(child, pseudonymiser)


def _redact(node: Any, redactor: Redactor, found: Counter[str], as_sent: frozenset[str]) -> None:
    if isinstance(node, dict):
        if node.get("key") in as_sent:
            return  # an attribute (KeyValue) whose value the event stores as sent
        for key, value in node.items():
            if isinstance(value, str):
                if value and key not in _NOT_TEXT:
                    clean, entities = redactor.redact(value)
                    if entities:
                        node[key] = clean
                        found.update(entities)
            elif isinstance(value, dict | list):
                _redact(value, redactor, found, as_sent)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, str):
                if value:
                    clean, entities = redactor.redact(value)
                    if entities:
                        node[i] = clean
            else:
                _redact(value, redactor, found, as_sent)
