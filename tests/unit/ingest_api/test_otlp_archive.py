"""The raw OTLP archive line (what is redacted, what is kept as sent) and its replay through the
current mapping (`ingest_api/otlp/replay.py`), without a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from ingest_api.otlp import mapping
from ingest_api.otlp.archive import archive_line
from ingest_api.otlp.replay import ArchivedTextRedactor, ReplayResult, remap_line
from ingest_api.otlp.spans import SpanView, iter_spans
from ingest_api.pii.redaction import Redactor
from ollive_contract.settings import DEFAULT_PII_ENTITIES
from tests.fixtures.otlp import CHAT, TOOL, all_spans, json_doc, spans

EMAIL = "jane.doe@example.com"
CALL = {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
OUTPUT = [{"role": "assistant", "parts": [CALL]}]


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(DEFAULT_PII_ENTITIES)


def _attribute(doc: dict[str, Any], key: str) -> list[Any]:
    return [a["value"] for s in all_spans(doc) for a in s["attributes"] if a["key"] == key]


def test_archive_redacts_text_and_keeps_identifiers_as_the_events_do(redactor) -> None:
    chat = {**CHAT, "gen_ai.input.messages": f"mail me at {EMAIL}", "user.id": EMAIL}
    tool = {**TOOL, "gen_ai.tool.call.id": "call_415 555 0134"}  # digits: phone-like
    doc = json_doc(spans(chat, tool))
    line = orjson.loads(
        archive_line(
            doc,
            encoding="json",
            spans=2,
            received_at=datetime.now(UTC),
            project_id="p",
            redactor=redactor,
        )
    )
    archived = line["request"]
    assert EMAIL not in orjson.dumps(archived).decode()
    assert _attribute(archived, "gen_ai.input.messages") == [
        {"stringValue": "mail me at <EMAIL_ADDRESS>"}
    ]
    assert _attribute(archived, "user.id") == [{"stringValue": "<EMAIL_ADDRESS>"}]
    # stored as sent in the tool event's tool_call_id, so as sent in the archive too
    assert _attribute(archived, "gen_ai.tool.call.id") == [{"stringValue": "call_415 555 0134"}]
    assert line["mapping_version"] == mapping.MAPPING_VERSION


def test_placeholders_of_the_archive_count_as_pii_found() -> None:
    replaying = ArchivedTextRedactor(DEFAULT_PII_ENTITIES, None)
    assert replaying.redact("mail <EMAIL_ADDRESS> or <NOT_AN_ENTITY>") == (
        "mail <EMAIL_ADDRESS> or <NOT_AN_ENTITY>",
        frozenset({"EMAIL_ADDRESS"}),
    )
    assert replaying.redact("no pii here") == ("no pii here", frozenset())


def test_an_old_archive_line_remaps_with_the_current_mapping(redactor) -> None:
    chat = {
        **CHAT,
        "gen_ai.output.messages": orjson.dumps(OUTPUT).decode(),
        "gen_ai.input.messages": f"mail me at {EMAIL}",
    }
    first_arrival = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    line = orjson.loads(
        archive_line(
            json_doc(spans(chat, TOOL)),
            encoding="protobuf",
            spans=2,
            received_at=first_arrival,
            project_id="proj",
            redactor=redactor,
        )
    )
    line["mapping_version"] = 1  # archived before the model's tool calls were mapped
    replayed_at = first_arrival + timedelta(days=30)
    result = ReplayResult()
    records = remap_line(
        line, "raw/otlp_traces/v1/k", replayed_at, ArchivedTextRedactor(DEFAULT_PII_ENTITIES, None),
        result,
    )  # fmt: skip
    (inference,) = [orjson.loads(r) for r in records["inference"]]
    (tool,) = [orjson.loads(r) for r in records["tool_execution"]]
    assert [c["id"] for c in inference["tool_calls"]] == [tool["tool_call_id"]] == ["call_1"]
    assert inference["metadata"]["otlp.mapping_version"] == mapping.MAPPING_VERSION
    assert inference["metadata"]["otlp.received_at"] == first_arrival.isoformat()
    assert inference["received_at"] == replayed_at.isoformat()  # later: this copy wins in dbt
    assert inference["project_id"] == "proj"
    assert (inference["pii_detected"], inference["pii_entities"]) == (True, ["EMAIL_ADDRESS"])
    # the same span, the same event id as the first copy
    first = mapping.map_span(next(iter(_views(line))))
    assert isinstance(first, dict) and first["event_id"] == inference["event_id"]
    assert result.events == {"inference": 1, "tool_execution": 1} and result.rejected == 0


def _views(line: dict[str, Any]) -> list[Any]:
    views = [v for v in iter_spans(line["request"]) if isinstance(v, SpanView)]
    return sorted(views, key=lambda v: v.span["startTimeUnixNano"])


def test_a_replayed_event_with_full_metadata_still_validates(redactor) -> None:
    crowded = {**CHAT, **{f"gen_ai.request.extra_{i:02d}": i for i in range(80)}}
    line = orjson.loads(
        archive_line(
            json_doc(spans(crowded)),
            encoding="json",
            spans=1,
            received_at=datetime.now(UTC),
            project_id="p",
            redactor=redactor,
        )
    )
    result = ReplayResult()
    records = remap_line(
        line, "k", datetime.now(UTC), ArchivedTextRedactor(DEFAULT_PII_ENTITIES, None), result
    )
    assert result.rejected == 0
    (event,) = [orjson.loads(r) for r in records["inference"]]
    assert len(event["metadata"]) == 64 and event["metadata"]["otlp.archive_key"] == "k"


def test_archive_holds_the_user_id_pseudonym_the_event_carries(redactor) -> None:
    from ingest_api.intake.pseudonyms import Pseudonymiser

    pseudonymiser = Pseudonymiser("k1", "a-test-key-of-some-length")
    chat = {**CHAT, "user.id": "customer-4711", "enduser.id": "alice"}
    doc = json_doc(spans(chat))
    archived = orjson.loads(
        archive_line(
            doc,
            encoding="json",
            spans=1,
            received_at=datetime.now(UTC),
            project_id="p",
            redactor=redactor,
            pseudonymiser=pseudonymiser,
        )
    )["request"]
    text = orjson.dumps(archived).decode()
    assert "customer-4711" not in text and "alice" not in text
    user = _attribute(archived, "user.id")[0]["stringValue"]
    assert user == pseudonymiser.pseudonym("customer-4711")
    assert user.startswith("k1:") and len(user) == len("k1:") + 64
    assert _attribute(archived, "enduser.id") == [{"stringValue": pseudonymiser.pseudonym("alice")}]
