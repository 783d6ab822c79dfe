"""Durable mode (events survive process exit and long outages on disk) and fork safety."""

from __future__ import annotations

import json
import os
import time

from tests.fixtures.fake_ingest import FakeIngest, assert_exactly_once, emit, free_port


def test_spooled_events_are_resent_on_next_start(tmp_path, make_client):
    spool = tmp_path / "spool"
    port = free_port()  # nothing listens: the API is down for the first process
    first = make_client(f"http://127.0.0.1:{port}", spool_dir=str(spool))
    ids = emit(first, 30)
    first.shutdown(1.0)
    stats = first.stats()
    assert stats.spooled == 30 and stats.dropped == {} and stats.sent == 0
    assert list(spool.glob("*.ndjson.gz"))

    server = FakeIngest(port).start()
    try:
        second = make_client(server.url, spool_dir=str(spool))
        assert server.wait_accepted(30, timeout=10)
        assert_exactly_once(server, ids)
        deadline = time.monotonic() + 5
        while list(spool.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert list(spool.iterdir()) == []
        assert second.stats().unspooled == 30
    finally:
        server.stop()


def test_outage_longer_than_the_queue_goes_to_disk_not_to_drops(tmp_path, make_client):
    port = free_port()
    client = make_client(
        f"http://127.0.0.1:{port}",
        spool_dir=str(tmp_path / "spool"),
        transport={"max_queue_size": 20, "max_batch_events": 10},
    )
    ids: list[str] = []
    for _ in range(10):  # 100 events through a 20-event queue while the API is down
        ids += emit(client, 10)
        time.sleep(0.03)
    assert client.flush(5)
    stats = client.stats()
    assert stats.dropped == {} and stats.spooled == 100
    server = FakeIngest(port).start()
    try:
        assert server.wait_accepted(100, timeout=15)
        assert_exactly_once(server, ids)
    finally:
        server.stop()


def test_the_spool_is_bounded_and_overflow_is_counted(tmp_path, make_client):
    client = make_client(
        f"http://127.0.0.1:{free_port()}",
        spool_dir=str(tmp_path / "spool"),
        spool_max_bytes=600,
        transport={"max_batch_events": 5, "flush_interval_s": 10},
    )
    for _ in range(6):
        emit(client, 5)
        assert client.flush(5)
    stats = client.stats()
    assert stats.spooled + stats.dropped.get("spool_full", 0) == 30
    assert stats.dropped.get("spool_full", 0) > 0
    assert sum(p.stat().st_size for p in (tmp_path / "spool").iterdir()) <= 600


def test_a_forked_child_emits_and_flushes_its_own_events(fake_ingest, make_client):
    client = make_client(fake_ingest.url)
    parent_ids = emit(client, 5)  # still queued in the parent when it forks
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            child_ids = emit(client, 7, name="child")
            ok = client.flush(5)
            stats = client.stats()
            os.write(write_fd, json.dumps([child_ids, ok, stats.sent]).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read_fd) as f:
        child_ids, child_ok, child_sent = json.loads(f.read())
    assert os.waitstatus_to_exitcode(status) == 0
    assert child_ok and child_sent == 7  # the child counts only its own events
    assert client.flush(5)
    assert_exactly_once(fake_ingest, parent_ids + child_ids)  # the child did not resend ours
