"""The raw archive of OTLP requests: each request's OTLP/JSON form, redacted, one NDJSON line.

Stored beside the events in the same group commit (`raw/otlp_traces/v1/…`), so an acked request
is archived too, and a mapping fix can be replayed over the requests as they came: all spans,
GenAI or not, every attribute. Every string is redacted except ids, keys and numbers, and the
values of the attributes the events store as ids and names (`IDENTIFIER_ATTRIBUTES`: model,
provider, tool call id, …), which the events keep as sent too; checking those cost most of the
archive's redaction (a tool call id's digits send it through the phone-number matcher).
"""

from __future__ import annotations

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
    if redactor is not None or pseudonymiser is not None:
        _clean(doc, redactor, pseudonymiser)
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


def _clean(node: Any, redactor: Redactor | None, pseudonymiser: Pseudonymiser | None) -> None:
    """One walk: user-id attributes (`user.id`, `enduser.id`, …) get the pseudonym their event
    carries (so a replay gives the same pseudonyms), the attributes the events store as sent are
    left alone, every other string is redacted."""
    if isinstance(node, dict):
        key = node.get("key")
        if pseudonymiser is not None and key in USER_ID_METADATA_KEYS:
            _pseudonymise(node, pseudonymiser)
            return
        if key in IDENTIFIER_ATTRIBUTES:
            return  # an attribute (KeyValue) whose value the event stores as sent
        for name, value in node.items():
            if isinstance(value, str):
                if redactor is not None and value and name not in _NOT_TEXT:
                    node[name] = redactor.redact(value)[0]
            elif isinstance(value, dict | list):
                _clean(value, redactor, pseudonymiser)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, str):
                if redactor is not None and value:
                    node[i] = redactor.redact(value)[0]
            else:
                _clean(value, redactor, pseudonymiser)


def _pseudonymise(attribute: dict[str, Any], pseudonymiser: Pseudonymiser) -> None:
    value = attribute.get("value")
    if isinstance(value, dict):
        raw = next((v for k, v in value.items() if k in _SCALAR_VALUES), None)
        if raw is not None:
            attribute["value"] = {"stringValue": pseudonymiser.pseudonym(str(raw))}
