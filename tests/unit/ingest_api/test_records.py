"""Stored lines: redacted wherever free text lives, previews cut after redaction, server fields."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import jsonschema
import orjson
import pytest

from ingest_api.intake.body import RawEvent
from ingest_api.intake.records import to_record
from ingest_api.intake.validation import validate_events
from ingest_api.pii.redaction import Redactor
from ollive_contract.events import EVENT_ADAPTER, PREVIEW_MAX_CHARS
from ollive_contract.json_schema import SCHEMA_PATH
from ollive_contract.settings import DEFAULT_PII_ENTITIES
from tests.fixtures.ingest_events import application, inference, tool_execution

EMAIL = "jane.doe@example.com"


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(DEFAULT_PII_ENTITIES)


def _store(event: dict, redactor: Redactor | None) -> tuple[dict, Counter]:
    counts: Counter[str] = Counter()
    [valid] = validate_events([RawEvent(event)]).events
    line = to_record(
        valid,
        received_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        project_id="acme",
        redactor=redactor,
        entity_counts=counts,
    )
    assert line.endswith(b"\n")
    return orjson.loads(line), counts


def test_every_free_text_field_is_redacted(redactor: Redactor) -> None:
    event = inference(
        input_preview=f"mail {EMAIL}",
        output_preview="ok",
        error_message="card 4111 1111 1111 1111 declined",
        tool_calls=[{"name": "send", "arguments_preview": f'{{"to": "{EMAIL}"}}'}],
        metadata={"note": "from 10.0.0.1", "count": 3, "flag": True},
        project_id="spoofed",
        pii_detected=False,
    )
    doc, counts = _store(event, redactor)
    assert EMAIL not in orjson.dumps(doc).decode()
    assert doc["input_preview"] == "mail <EMAIL_ADDRESS>"
    assert doc["error_message"] == "card <CREDIT_CARD> declined"
    assert doc["tool_calls"][0]["arguments_preview"] == '{"to": "<EMAIL_ADDRESS>"}'
    assert doc["metadata"] == {"note": "from <IP_ADDRESS>", "count": 3, "flag": True}
    assert doc["project_id"] == "acme" and doc["schema_version"] == 1
    assert doc["pii_detected"] is True
    assert doc["pii_entities"] == ["CREDIT_CARD", "EMAIL_ADDRESS", "IP_ADDRESS"]
    assert doc["received_at"] == "2026-01-02T03:04:05+00:00"
    assert counts["EMAIL_ADDRESS"] == 2


def test_application_fields(redactor: Redactor) -> None:
    doc, _ = _store(
        application(message=f"login by {EMAIL}", exception_stack=f'File "x", {EMAIL}'), redactor
    )
    assert EMAIL not in doc["message"] and EMAIL not in doc["exception_stack"]


def test_previews_truncated_after_redaction(redactor: Redactor) -> None:
    tail_pii = "x" * 495 + " " + EMAIL  # the address straddles the 500-char cut
    doc, _ = _store(inference(input_preview=tail_pii, output_preview="y" * 5000), redactor)
    assert len(doc["output_preview"]) == PREVIEW_MAX_CHARS
    assert "jane" not in doc["input_preview"]
    assert len(doc["input_preview"]) <= PREVIEW_MAX_CHARS


def test_pii_off_keeps_text(redactor: Redactor) -> None:
    doc, _ = _store(inference(input_preview=f"mail {EMAIL}"), None)
    assert doc["input_preview"] == f"mail {EMAIL}" and doc["pii_detected"] is False


@pytest.mark.parametrize("with_pii", [False, True])
def test_line_is_the_contract_dump_plus_server_fields(redactor: Redactor, with_pii: bool) -> None:
    """The stored line holds what pydantic's JSON dump of the event holds without its null
    fields, then server fields."""
    event = inference(
        input_preview="x" * (PREVIEW_MAX_CHARS + 10),
        output_preview=f"write to {EMAIL}" if with_pii else "fine",
        latency_ms=12.3456789,
        tool_calls=[{"name": "send", "arguments_preview": "y" * (PREVIEW_MAX_CHARS + 1)}],
        metadata={"note": "plain", "n": 3, "ratio": 0.25, "flag": False},
    )
    doc, _ = _store(event, redactor)
    [valid] = validate_events([RawEvent(event)]).events
    expected = EVENT_ADAPTER.dump_python(valid, mode="json", exclude_none=True)
    expected["input_preview"] = expected["input_preview"][:PREVIEW_MAX_CHARS]
    expected["tool_calls"][0]["arguments_preview"] = "y" * PREVIEW_MAX_CHARS
    if with_pii:
        expected["output_preview"] = "write to <EMAIL_ADDRESS>"
    server = ["received_at", "project_id", "pii_detected", "pii_entities", "schema_version"]
    assert list(doc) == [*expected, *server]
    assert {k: doc[k] for k in expected} == expected
    assert doc["pii_entities"] == (["EMAIL_ADDRESS"] if with_pii else [])


def _nulls(doc: object) -> list[object]:
    if isinstance(doc, dict):
        return [k for k, v in doc.items() if v is None] + [
            n for v in doc.values() for n in _nulls(v)
        ]
    return [n for v in doc for n in _nulls(v)] if isinstance(doc, list) else []


@pytest.mark.parametrize(
    "event",
    [
        inference(tool_calls=[{"name": "search"}], metadata={"unset": None, "n": 1}),
        tool_execution(latency_ms=None, result_preview=None),
        application(level="info", message="m", exception_type=None),
    ],
    ids=["inference", "tool_execution", "application"],
)
def test_null_fields_are_left_out_and_the_line_keeps_the_contract(
    redactor: Redactor, event: dict
) -> None:
    """No null field is written (a missing field reads as null), except metadata values, and
    the line stays valid under the wire contract's JSON Schema."""
    doc, _ = _store(event, redactor)
    assert "finished_at" not in doc and "trace_id" not in doc  # None in the model
    metadata = doc.pop("metadata")
    assert _nulls(doc) == []
    if event["log_type"] == "inference":
        assert doc["tool_calls"] == [{"name": "search"}]
        assert metadata == {"unset": None, "n": 1}
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        {**doc, "metadata": metadata}
    )
    [again] = validate_events([RawEvent({**doc, "metadata": metadata})]).events
    [valid] = validate_events([RawEvent(event)]).events
    assert again == valid  # read back, the line is the event it came from
