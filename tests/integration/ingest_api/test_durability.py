"""kill -9 mid-load, or a store outage, loses no acked event and stores none twice."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.fixtures.ingest import IngestServer, s3_env
from tests.fixtures.ingest_events import application, inference, stored_event_ids, tool_execution
from tests.fixtures.ingest_proxy import SwitchableProxy, wait_until


def _server(tmp_path: Path, s3_store, endpoint: str) -> IngestServer:
    c = s3_store.creds
    return IngestServer(
        tmp_path / "ingest",
        s3_env(endpoint, c.access_key, c.secret_key, c.bucket),
        OLLIVE_INGEST_STORE_TIMEOUT_SECONDS="2",
    )


def _load(server: IngestServer, acked: list[str], stop: threading.Event, batch: int = 50) -> None:
    """Send batches until told to stop, recording the ids of every acked batch."""
    makers = (inference, tool_execution, application)
    with httpx.Client(timeout=10) as client:
        n = 0
        while not stop.is_set():
            events = [makers[(n + i) % 3]() for i in range(batch)]
            n += 1
            try:
                resp = client.post(f"{server.url}/v1/logs", json=events, headers=server.headers)
            except httpx.HTTPError:
                continue  # the server is gone; these were never acked
            if resp.status_code == 202:
                acked.extend(e["event_id"] for e in events)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        found |= {int(c) for c in children.read_text().split()}
    return found


def _running(pids: set[int]) -> set[int]:
    """Those of `pids` that still exist and are not zombies."""
    running = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            if stat[stat.rindex(")") + 2] != "Z":
                running.add(pid)
    return running


def _exactly_once(s3_store, acked: list[str]) -> None:
    counts = Counter(stored_event_ids(s3_store.client(), s3_store.creds.bucket))
    missing = [i for i in acked if counts[i] == 0]
    twice = [i for i in acked if counts[i] > 1]
    assert not missing, f"{len(missing)} acked events not stored"
    assert not twice, f"{len(twice)} acked events stored more than once"


@pytest.mark.parametrize("store_up", [True, False], ids=["store-up", "store-down"])
def test_kill_9_during_load_loses_no_acked_event(tmp_path, s3_store, store_up: bool) -> None:
    proxy = SwitchableProxy(s3_store.endpoint)
    if store_up:
        proxy.on()
    server = _server(tmp_path, s3_store, proxy.url)
    server.start()
    acked: list[str] = []
    stop = threading.Event()
    workers = [threading.Thread(target=_load, args=(server, acked, stop)) for _ in range(4)]
    for w in workers:
        w.start()
    try:
        assert wait_until(lambda: len(acked) >= 2000, timeout=60), server.log_tail()
        workers_of_api = _children(server.proc.pid)
        assert workers_of_api, "the API runs its prepare workers as child processes"
        server.kill()  # kill -9 while requests are in flight
        # its prepare workers do not outlive it
        assert wait_until(lambda: not _running(workers_of_api), timeout=30), workers_of_api
        stop.set()
        for w in workers:
            w.join()
        server.start()  # same state dir: the spool from before the crash is re-uploaded
        if not store_up:
            proxy.on()
        ready = lambda: httpx.get(f"{server.url}/readyz").json()["spool_objects"] == 0  # noqa: E731
        assert wait_until(ready, timeout=60), server.log_tail()
        _exactly_once(s3_store, acked)
    finally:
        stop.set()
        server.stop()
        proxy.off()


def test_store_down_then_up_spools_then_delivers(tmp_path, s3_store) -> None:
    proxy = SwitchableProxy(s3_store.endpoint)  # off: the store is unreachable
    server = _server(tmp_path, s3_store, proxy.url)
    server.start()
    try:
        acked: list[str] = []
        for _ in range(10):
            events = [inference(), tool_execution(), application()]
            resp = httpx.post(f"{server.url}/v1/logs", json=events, headers=server.headers)
            assert resp.status_code == 202, resp.text
            acked += [e["event_id"] for e in events]
        ready = httpx.get(f"{server.url}/readyz").json()
        assert ready["store"] == "down" and ready["spool_objects"] > 0
        stored = set(stored_event_ids(s3_store.client(), s3_store.creds.bucket))
        assert not stored & set(acked)
        proxy.on()
        drained = lambda: httpx.get(f"{server.url}/readyz").json()["spool_objects"] == 0  # noqa: E731
        assert wait_until(drained, timeout=60), server.log_tail()
        _exactly_once(s3_store, acked)
        # and new requests go straight to the store again
        more = [inference()]
        assert httpx.post(f"{server.url}/v1/logs", json=more, headers=server.headers).is_success
        _exactly_once(s3_store, [*acked, more[0]["event_id"]])
    finally:
        server.stop()
        proxy.off()


def test_full_spool_answers_503_with_retry_after(tmp_path, s3_store) -> None:
    c = s3_store.creds
    closed = SwitchableProxy(s3_store.endpoint)
    server = IngestServer(
        tmp_path / "ingest",
        s3_env(closed.url, c.access_key, c.secret_key, c.bucket),
        OLLIVE_INGEST_SPOOL_MAX_BYTES="2000",
    )
    server.start()
    try:
        statuses = []
        for _ in range(10):
            resp = httpx.post(
                f"{server.url}/v1/logs",
                json=[inference() for _ in range(5)],
                headers=server.headers,
            )
            statuses.append(resp.status_code)
            if resp.status_code == 503:
                assert int(resp.headers["Retry-After"]) > 0
                assert resp.json()["error"]["code"] == "store_unavailable"
        assert statuses[0] == 202 and statuses[-1] == 503
        assert httpx.get(f"{server.url}/healthz").status_code == 200
    finally:
        server.stop()
