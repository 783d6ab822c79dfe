"""Events timed too far ahead of the server's clock are rejected one by one, value-free, and the
rest of their batch is stored: through `validate_events`, `POST /v1/logs` (JSON and NDJSON) and
`POST /v1/traces`, in-process with acks spooled."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from ingest_api.intake.body import RawEvent
from ingest_api.intake.validation import FutureBound, validate_events
from ingest_api.storage.spool import Spool
from ollive_contract.object_keys import ObjectKey
from ollive_contract.settings import IngestSettings
from tests.fixtures.ingest_events import application, inference, ndjson, score
from tests.fixtures.otlp import CHAT, all_spans, json_doc, spans

DEFAULT_HOURS = IngestSettings.model_fields["max_event_ahead_hours"].default


def _iso(at: datetime) -> str:
    return at.isoformat()


def _spooled_ids(tmp_path: Path) -> set[str]:
    spool = Spool(tmp_path / "ingest" / "spool", 10**9)
    return {
        orjson.loads(line)["event_id"]
        for obj in map(spool.read, spool.pending())
        if ObjectKey.parse(obj.key).log_type != "otlp_traces"
        for line in gzip.decompress(obj.body).splitlines()
    }


def test_bound_rejects_started_or_finished_too_far_ahead_and_keeps_the_rest() -> None:
    now = datetime.now(UTC)
    bound = FutureBound(now, timedelta(hours=24))
    events = [
        inference(),
        inference(started_at=_iso(now + timedelta(days=400))),
        application(started_at=_iso(now + timedelta(hours=23))),  # within the bound
        inference(finished_at=_iso(now + timedelta(hours=25))),
        # no zone: read as UTC, like the loader reads it
        score(started_at=(now + timedelta(days=2)).replace(tzinfo=None).isoformat()),
        inference(started_at="2999-01-01T00:00:00Z"),
    ]
    result = validate_events([RawEvent(e) for e in events], bound)
    assert [str(e.event_id) for e in result.events] == [
        events[0]["event_id"],
        events[2]["event_id"],
    ]
    assert [(r.index, r.code) for r in result.rejected] == [
        (1, "too_far_ahead"),
        (3, "too_far_ahead"),
        (4, "too_far_ahead"),
        (5, "too_far_ahead"),
    ]
    assert result.rejected[0].reason == "started_at: more than 24 h ahead of the server's clock"
    assert result.rejected[1].reason.startswith("finished_at: ")
    # the same events as NDJSON lines take the fast path (validate_json): same verdicts
    lines = validate_events([RawEvent(None, line=orjson.dumps(e)) for e in events], bound)
    assert [(r.index, r.code) for r in lines.rejected] == [
        (r.index, r.code) for r in result.rejected
    ]
    # without a bound (the OTLP replay), any time passes
    assert len(validate_events([RawEvent(e) for e in events]).events) == len(events)


def test_logs_route_rejects_far_future_events_and_stores_the_others(
    ingest_app: TestClient, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    ahead = now + timedelta(hours=DEFAULT_HOURS, minutes=5)
    good, late = inference(), application(started_at=_iso(now - timedelta(hours=30)))
    far = inference(started_at=_iso(ahead))
    resp = ingest_app.post("/v1/logs", json=[good, far, late])
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [(1, "too_far_ahead")]

    # NDJSON, gzip: the same answer for the line-by-line path
    far_again, ok = application(started_at=_iso(ahead)), application()
    resp = ingest_app.post(
        "/v1/logs",
        content=gzip.compress(ndjson([far_again, ok])),
        headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
    )
    assert resp.status_code == 202 and resp.json()["rejected"][0]["index"] == 0

    # a batch of nothing but such events: 422, each one's reason listed
    resp = ingest_app.post("/v1/logs", json=[inference(started_at=_iso(ahead))])
    assert resp.status_code == 422
    assert [r["code"] for r in resp.json()["rejected"]] == ["too_far_ahead"]

    stored = _spooled_ids(tmp_path)
    assert stored == {good["event_id"], late["event_id"], ok["event_id"]}
    metrics = ingest_app.get("/metrics").text
    assert 'ollive_ingest_events_rejected_total{reason="too_far_ahead"} 3.0' in metrics


def test_traces_route_rejects_a_span_started_too_far_ahead(
    ingest_app: TestClient, tmp_path: Path
) -> None:
    doc = json_doc(spans(CHAT, CHAT))
    second = all_spans(doc)[1]
    shift = int(timedelta(days=90).total_seconds() * 1e9)
    for key in ("startTimeUnixNano", "endTimeUnixNano"):
        second[key] = str(int(second[key]) + shift)
    resp = ingest_app.post("/v1/traces", json=doc)
    assert resp.status_code == 200, resp.text
    partial = resp.json()["partialSuccess"]
    assert int(partial["rejectedSpans"]) == 1
    assert "ahead of the server's clock" in partial["errorMessage"]
    assert len(_spooled_ids(tmp_path)) == 1
