"""The SDK against the real ingest API of the embedded stack: every kind of event it emits is
accepted and stored once, with the server-set fields the SDK never sends."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ollive_sdk import Client, TransportConfig

from tests.fixtures.ingest_events import stored_objects
from tests.fixtures.sdk_events import emit_every_kind


def sdk_client(ingest_api, transport: TransportConfig | None = None, **options: Any) -> Client:
    return Client(
        environ={},
        endpoint=ingest_api.url,
        api_key=ingest_api.api_key,
        service="sdk-integration",
        transport=transport or TransportConfig(flush_interval_s=0.05),
        **options,
    )


def stored_by_id(s3_store) -> dict[str, dict[str, Any]]:
    objects = stored_objects(s3_store.client(), s3_store.creds.bucket)
    events = [e for o in objects.values() for e in o["events"]]
    counts = Counter(e["event_id"] for e in events)
    assert max(counts.values(), default=1) == 1  # one ingest ack per batch: stored once
    return {e["event_id"]: e for e in events}


def test_every_event_kind_is_accepted_and_stored(ingest_api, s3_store):
    client = sdk_client(ingest_api)
    sent: list[dict[str, Any]] = []
    emit = client._emit
    client._emit = lambda event: (sent.append(event), emit(event))  # type: ignore[method-assign]
    try:
        emit_every_kind(client)
        assert client.flush(30)
        stats = client.stats()
        assert stats.enqueued == stats.sent == len(sent) > 10
        assert stats.dropped == {}
    finally:
        client.shutdown(5)
    stored = stored_by_id(s3_store)
    for event in sent:
        row = stored[event["event_id"]]
        assert row["log_type"] == event["log_type"] and row["service"] == "sdk-integration"
        assert row["project_id"] == ingest_api.project_id and row["schema_version"] == 1
        assert row["received_at"]


def test_per_event_rejections_from_the_real_api_are_counted(ingest_api, s3_store):
    def break_some(event: dict[str, Any]) -> dict[str, Any]:
        if event.get("message") == "bad":
            event["level"] = "loud"  # not a contract level: the API rejects this one event
        return event

    # One request of exactly three events: a lone bad event would be a whole-request 422.
    batch = TransportConfig(max_batch_events=3, flush_interval_s=30)
    client = sdk_client(ingest_api, batch, mask=break_some)
    try:
        client.log("info", "good")
        client.log("info", "bad")
        client.log("info", "good")
        assert client.flush(30)
        stats = client.stats()
    finally:
        client.shutdown(5)
    assert (stats.sent, stats.dropped) == (2, {"rejected": 1})
