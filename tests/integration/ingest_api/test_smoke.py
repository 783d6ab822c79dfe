"""The happy path against real SeaweedFS: accepted events land in one object per log type."""

from __future__ import annotations

import httpx

from ollive_contract.object_keys import META_EVENT_COUNT, ObjectKey
from tests.fixtures.ingest_events import application, inference, stored_objects, tool_execution


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
