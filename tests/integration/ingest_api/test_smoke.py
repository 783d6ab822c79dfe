"""The happy path against real SeaweedFS: accepted events land in one object per log type."""

from __future__ import annotations

import httpx

from ollive_contract.object_keys import META_EVENT_COUNT, ObjectKey
from tests.fixtures.ingest_events import (
    application,
    inference,
    score,
    stored_objects,
    tool_execution,
)


def test_mixed_batch_is_stored_per_log_type(ingest_api, s3_store) -> None:
    events = [inference(), inference(project_id="evil"), tool_execution(), application()]
    resp = httpx.post(f"{ingest_api.url}/v1/logs", json=events, headers=ingest_api.headers)
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"accepted": 4, "rejected": []}
    objects = stored_objects(s3_store.client(), s3_store.creds.bucket)
    by_id = {e["event_id"]: (k, e) for k, o in objects.items() for e in o["events"]}
    for sent in events:
        key, stored = by_id[sent["event_id"]]
        assert ObjectKey.parse(key).log_type == sent["log_type"]
        assert stored["project_id"] == "demo"
        assert stored["schema_version"] == 1
        assert int(objects[key]["metadata"][META_EVENT_COUNT]) == len(objects[key]["events"])


def test_score_events_share_the_validation_pii_and_storage_path(ingest_api, s3_store) -> None:
    """Scores land under raw/score/ with their comment redacted and their value typed; a score
    without a target is refused with a reason that names no value."""
    events = [
        score(comment="call me on jane.doe@example.com", value=2.5),
        score(value="bad answer", target_trace_id=None, target_conversation_id="conv-9"),
        score(target_trace_id=None),
    ]
    resp = httpx.post(f"{ingest_api.url}/v1/logs", json=events, headers=ingest_api.headers)
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["accepted"] == 2
    [rejected] = body["rejected"]
    assert rejected["index"] == 2 and "target" in rejected["reason"]
    objects = stored_objects(s3_store.client(), s3_store.creds.bucket, prefix="raw/score/")
    stored = {e["event_id"]: e for o in objects.values() for e in o["events"]}
    numeric, categorical = stored[events[0]["event_id"]], stored[events[1]["event_id"]]
    assert "jane.doe@example.com" not in numeric["comment"]
    assert numeric["pii_detected"] is True and "EMAIL_ADDRESS" in numeric["pii_entities"]
    assert (numeric["data_type"], numeric["numeric_value"]) == ("numeric", 2.5)
    assert "string_value" not in numeric  # a null field is left out of the stored line
    assert (categorical["data_type"], categorical["string_value"]) == ("categorical", "bad answer")
    assert categorical["target_conversation_id"] == "conv-9"
