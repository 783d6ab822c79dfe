"""Per-event validation: mixed batches, duplicates, and reasons that never echo a value."""

from __future__ import annotations

import orjson

from ingest_api.intake.body import RawEvent, parse_line
from ingest_api.intake.validation import validate_events
from tests.fixtures.ingest_events import application, inference, tool_execution

SECRET = "jane.doe@example.com"


def test_mixed_batch_keeps_good_events() -> None:
    good = [inference(), tool_execution(), application()]
    bad = {"log_type": "inference", "event_id": "nope"}
    result = validate_events(
        [RawEvent(good[0]), RawEvent(bad), RawEvent(good[1]), RawEvent(good[2])]
    )
    assert [str(e.event_id) for e in result.events] == [g["event_id"] for g in good]
    assert [r.index for r in result.rejected] == [1]


def test_duplicate_event_id_keeps_the_first() -> None:
    first = inference()
    again = {**first, "input_preview": "changed"}
    result = validate_events([RawEvent(first), RawEvent(again)])
    assert len(result.events) == 1 and result.events[0].input_preview == first["input_preview"]
    assert result.rejected[0].code == "duplicate" and result.rejected[0].index == 1


def test_reasons_do_not_echo_values() -> None:
    events = [
        inference(input_tokens=SECRET),
        inference(event_id=SECRET),
        inference(log_type=SECRET),
        application(level=SECRET),
        application(metadata={SECRET: [1]}),
        inference(input_preview=SECRET * 2000),
        SECRET,
        [SECRET],
    ]
    result = validate_events([RawEvent(e) for e in events])
    assert len(result.rejected) == len(events)
    for r in result.rejected:
        assert "jane" not in r.reason and "example" not in r.reason, r.reason
        assert r.reason


def test_server_fields_from_the_client_are_dropped() -> None:
    event = inference(project_id="other", pii_detected=True, received_at="2000-01-01T00:00:00Z")
    result = validate_events([RawEvent(event)])
    assert not hasattr(result.events[0], "project_id")


def test_ndjson_lines_validate_like_parsed_items() -> None:
    """Lines validated straight from JSON keep, refuse and explain exactly as parsed items do."""
    good = [inference(), tool_execution(metadata={"n": 1.5, "ok": True}), application()]
    items = [
        *good,
        {"log_type": "inference", "event_id": "nope"},
        {**good[0], "input_preview": "again"},
        SECRET,
        [SECRET],
        inference(input_tokens=SECRET),
        inference(started_at="2026-11-23 10:00:00.5+01:00", latency_ms="12.5"),
    ]
    lines = [orjson.dumps(item) for item in items] + [b"{not json", b"\xff\xfe"]
    from_lines = validate_events([RawEvent(None, line=line) for line in lines])
    from_items = validate_events([parse_line(line) for line in lines])
    assert from_lines.events == from_items.events
    assert from_lines.rejected == from_items.rejected
    assert len(from_lines.events) == 4
    codes = [r.code for r in from_lines.rejected]
    assert (
        codes
        == ["invalid", "duplicate", "not_an_object", "not_an_object", "invalid"] + ["bad_json"] * 2
    )
