"""The transport against a local ingest stand-in that fails on purpose: no event is lost within
queue capacity, every drop is counted by reason, and the host never waits on the network."""

from __future__ import annotations

import time
from typing import Any

import pytest
from ollive_sdk import Client

from tests.fixtures.fake_ingest import FakeIngest, Reply, assert_exactly_once, emit, free_port


def test_happy_path_batches_over_one_gzip_keepalive_connection(fake_ingest, make_client):
    client = make_client(fake_ingest.url, transport={"max_batch_events": 100})
    ids = emit(client, 450)
    assert client.flush(5)
    assert_exactly_once(fake_ingest, ids)
    requests = fake_ingest.requests
    assert all(len(r.events) <= 100 for r in requests)
    assert len({r.peer for r in requests}) == 1  # one kept-alive connection
    headers = requests[0].headers
    assert headers["Authorization"] == "Bearer olk_test_key"
    assert headers["Content-Type"] == "application/x-ndjson"
    assert headers["Content-Encoding"] == "gzip"
    stats = client.stats()
    assert (stats.enqueued, stats.sent, stats.dropped, stats.queued) == (450, 450, {}, 0)


def test_batches_respect_the_byte_budget(fake_ingest, make_client):
    client = make_client(fake_ingest.url, transport={"max_batch_bytes": 4_000})
    ids = emit(client, 100)
    assert client.flush(5)
    assert_exactly_once(fake_ingest, ids)
    assert len(fake_ingest.requests) >= 100 * 200 // 4_000


def test_500s_for_a_while_then_ok_loses_nothing(fake_ingest, make_client):
    fake_ingest.reply(Reply(500), Reply(502), Reply(500), Reply(504))
    client = make_client(fake_ingest.url)
    ids = emit(client, 50)
    assert client.flush(10)
    assert_exactly_once(fake_ingest, ids)
    stats = client.stats()
    assert stats.sent == 50 and stats.dropped == {}
    assert stats.retried >= 4  # events re-sent
    assert max(fake_ingest.received.values()) >= 2  # the same ids went out again


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(fake_ingest, make_client, status):
    fake_ingest.reply(Reply(status, headers={"Retry-After": "1"}))
    client = make_client(fake_ingest.url)
    ids = emit(client, 10)
    assert client.flush(10)
    assert_exactly_once(fake_ingest, ids)
    first, second = fake_ingest.requests[:2]
    assert second.at - first.at >= 1.0  # not the 20 ms base backoff
    assert client.stats().retried == len(first.events)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_client_errors_are_dropped_counted_and_not_retried(fake_ingest, make_client, status):
    fake_ingest.reply(Reply(status))
    client = make_client(fake_ingest.url, transport={"max_batch_events": 5, "flush_interval_s": 10})
    emit(client, 5)
    assert client.flush(5)
    assert len(fake_ingest.requests) == 1
    stats = client.stats()
    assert stats.dropped == {f"http_{status}": 5}
    assert (stats.sent, stats.retried) == (0, 0)


def test_partial_rejections_are_counted_and_never_retried(fake_ingest, make_client):
    fake_ingest.reply(Reply(202, reject_indexes=(0, 3)))
    client = make_client(fake_ingest.url, transport={"max_batch_events": 6, "flush_interval_s": 10})
    ids = emit(client, 6)
    assert client.flush(5)
    assert set(fake_ingest.accepted) == {ids[i] for i in (1, 2, 4, 5)}
    assert set(fake_ingest.received.values()) == {1}  # nothing sent twice
    stats = client.stats()
    assert (stats.sent, stats.dropped) == (4, {"rejected": 2})


def test_all_invalid_batch_counts_each_event_as_rejected(fake_ingest, make_client):
    """The API's 422 for a batch with nothing valid lists every event: counted per event."""
    rejected = [{"index": i, "code": "invalid", "reason": "x: bad"} for i in range(3)]
    body = {"error": {"code": "no_valid_events"}, "accepted": 0, "rejected": rejected}
    fake_ingest.reply(Reply(422, body=body))
    client = make_client(fake_ingest.url, transport={"max_batch_events": 3, "flush_interval_s": 10})
    emit(client, 3)
    assert client.flush(5)
    assert len(fake_ingest.requests) == 1
    stats = client.stats()
    assert (stats.sent, stats.dropped, stats.retried) == (0, {"rejected": 3}, 0)


def test_connection_refused_then_up(make_client):
    port = free_port()
    client = make_client(f"http://127.0.0.1:{port}")
    ids = emit(client, 40)
    deadline = time.monotonic() + 5
    while client.stats().retried == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.stats().retried > 0
    server = FakeIngest(port).start()
    try:
        assert client.flush(10)
        assert_exactly_once(server, ids)
        assert client.stats().dropped == {}
    finally:
        server.stop()


def test_a_server_that_never_answers_times_out_and_is_retried(fake_ingest, make_client):
    client = make_client(fake_ingest.url, request_timeout_s=0.2)
    fake_ingest.hold()
    ids = emit(client, 20)
    assert fake_ingest.arrived.wait(5)
    time.sleep(0.5)  # at least one timeout and retry while the server stays silent
    assert client.stats().retried > 0 and client.stats().sent == 0
    fake_ingest.release()
    assert client.flush(10)
    # Requests the client gave up on were still processed: duplicates, deduped by event_id.
    assert set(fake_ingest.accepted) == set(ids)
    assert client.stats().sent == 20 and client.stats().dropped == {}


def test_slow_server_loses_nothing(fake_ingest, make_client):
    fake_ingest.reply(*[Reply(delay_s=0.2)] * 3)
    client = make_client(fake_ingest.url, transport={"max_batch_events": 20})
    ids = emit(client, 100)
    assert client.flush(10)
    assert_exactly_once(fake_ingest, ids)


def test_queue_overflow_drops_the_newest_and_counts_exactly(fake_ingest, make_client):
    client = make_client(fake_ingest.url, transport={"max_queue_size": 100})
    fake_ingest.hold()
    first = emit(client, 1)
    assert fake_ingest.arrived.wait(5)  # the worker holds that one event in flight
    ids = emit(client, 130)
    stats = client.stats()
    assert stats.dropped == {"queue_full": 30}
    assert (stats.enqueued, stats.queued) == (101, 100)
    fake_ingest.release()
    assert client.flush(10)
    assert_exactly_once(fake_ingest, first + ids[:100])  # the 30 newest were the ones dropped
    stats = client.stats()
    assert stats.sent + stats.dropped_total == 131


def test_host_calls_return_while_the_server_is_blocked(fake_ingest, make_client):
    client = make_client(fake_ingest.url, request_timeout_s=30)
    off = Client(environ={}, enabled=False)

    def per_call_s(c: Client, n: int = 300) -> float:
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            with c.inference(provider="p", model="m", input="hello") as span:
                span.set_usage(1, 2)
            samples.append(time.perf_counter() - t0)
        samples.sort()
        return samples[n // 2]

    emit(client, 1)
    assert client.flush(5)
    idle = per_call_s(client)
    assert client.flush(5)
    fake_ingest.hold()
    emit(client, 1)
    assert fake_ingest.arrived.wait(5)
    held = fake_ingest.requests[-1]
    blocked = per_call_s(client)
    still_blocked = held.status == 0
    fake_ingest.release()
    assert still_blocked  # every host call above returned while the server sat on a request
    baseline = per_call_s(off)
    # Medians of the same loop in one process; generous factor, the point is "not a network wait".
    assert blocked < idle * 10 + baseline
    assert client.flush(5)


def test_shutdown_completes_within_its_bound_on_a_silent_server(fake_ingest, make_client):
    client = make_client(fake_ingest.url, request_timeout_s=30)
    fake_ingest.hold()
    emit(client, 5)
    assert fake_ingest.arrived.wait(5)
    emit(client, 5)
    t0 = time.monotonic()
    clean = client.shutdown(0.5)
    elapsed = time.monotonic() - t0
    assert not clean
    assert elapsed < 2.0
    stats = client.stats()
    assert stats.dropped == {"shutdown_timeout": 10} and stats.sent == 0


def test_shutdown_during_a_long_retry_after_is_bounded(fake_ingest, make_client):
    fake_ingest.reply(Reply(503, headers={"Retry-After": "60"}))
    client = make_client(fake_ingest.url)
    emit(client, 3)
    assert fake_ingest.arrived.wait(5)
    t0 = time.monotonic()
    client.shutdown(0.3)
    assert time.monotonic() - t0 < 2.0
    assert client.stats().dropped == {"shutdown_timeout": 3}


def test_events_after_shutdown_are_counted(fake_ingest, make_client):
    client = make_client(fake_ingest.url)
    emit(client, 2)
    assert client.shutdown(2)
    emit(client, 3)
    stats = client.stats()
    assert stats.sent == 2 and stats.dropped == {"after_shutdown": 3}


def test_every_event_ends_in_exactly_one_counter(fake_ingest, make_client):
    fake_ingest.reply(Reply(500), Reply(202, reject_indexes=(1,)), Reply(401))
    mask_calls: list[Any] = []

    def mask(event: dict[str, Any]) -> dict[str, Any] | None:
        mask_calls.append(event)
        return None if event["tool_name"] == "secret" else event

    client = make_client(fake_ingest.url, mask=mask, transport={"max_batch_events": 10})
    emit(client, 25)
    emit(client, 5, name="secret")
    assert client.flush(10)
    s = client.stats()
    assert s.filtered == 5
    assert s.enqueued == s.sent + s.dropped_total + s.filtered + s.queued == 30
