"""The served API (`python -m ingest_api`, prepare worker processes, SeaweedFS) rejects events
timed more than `OLLIVE_INGEST_MAX_EVENT_AHEAD_HOURS` (24, its default) ahead of its clock, one
by one, and stores the rest of the batch; nothing of a rejected event reaches the archive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.fixtures.ingest_events import inference, score, stored_event_ids, tool_execution


def test_far_future_events_are_rejected_and_the_rest_stored(ingest_api, s3_store) -> None:
    now = datetime.now(UTC)
    good = [
        inference(started_at=(now + timedelta(hours=23)).isoformat()),  # within the bound
        tool_execution(started_at=(now - timedelta(days=3)).isoformat()),  # late: always fine
    ]
    far = [
        inference(started_at=(now + timedelta(days=200)).isoformat()),
        score(target_event_id=good[0]["event_id"], started_at="2100-01-01T00:00:00Z"),
    ]
    batch = [far[0], good[0], far[1], good[1]]
    resp = httpx.post(f"{ingest_api.url}/v1/logs", json=batch, headers=ingest_api.headers)
    assert resp.status_code == 202, resp.text
    answer = resp.json()
    assert answer["accepted"] == 2
    assert [(r["index"], r["code"]) for r in answer["rejected"]] == [
        (0, "too_far_ahead"),
        (2, "too_far_ahead"),
    ]
    assert all("ahead of the server's clock" in r["reason"] for r in answer["rejected"])

    stored = set(stored_event_ids(s3_store.client(), s3_store.creds.bucket))
    assert {e["event_id"] for e in good} <= stored
    assert not {e["event_id"] for e in far} & stored
