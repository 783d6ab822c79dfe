"""The soak driver's own logic: its fault schedule, its truth of acknowledged events, its
clock faults (the whole soak runs in tests/e2e/test_fault_soak.py)."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ollive_sdk.http_sender import HttpSender

from ollive.soak.chaos import FAULT_KINDS, Fault
from ollive.soak.ledger import AckLedger, StormSender
from ollive.soak.runner import Driven, SoakConfig, fault_schedule
from ollive.soak.traffic import ClockFaults, planted_pii


def test_schedule_is_seeded_and_hits_every_kind_each_round() -> None:
    first = fault_schedule(7, 600, 20, FAULT_KINDS)
    assert first == fault_schedule(7, 600, 20, FAULT_KINDS)
    assert first != fault_schedule(8, 600, 20, FAULT_KINDS)
    offsets = [at for at, _ in first]
    assert offsets == sorted(offsets) and offsets[-1] < 600
    kinds = [kind for _, kind in first]
    for start in range(0, len(kinds) - len(FAULT_KINDS) + 1, len(FAULT_KINDS)):
        assert sorted(kinds[start : start + len(FAULT_KINDS)]) == sorted(FAULT_KINDS)


@pytest.fixture
def ingest():
    """An HTTP endpoint answering each POST with the next scripted (status, body)."""
    script: list[tuple[int, dict]] = []
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            status, doc = script.pop(0)
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", script, received
    server.shutdown()


def _batch(*ids: str) -> bytes:
    lines = [json.dumps({"log_type": "inference", "event_id": i}) for i in ids]
    return gzip.compress(("\n".join(lines) + "\n").encode())


def test_storm_sends_three_copies_and_acks_only_what_a_2xx_kept(ingest) -> None:
    url, script, received = ingest
    script += [
        (503, {}),
        (202, {"accepted": 1, "rejected": [{"index": 1, "code": "invalid", "reason": "x"}]}),
        (202, {"accepted": 2, "rejected": []}),
    ]
    ledger = AckLedger()
    sender = StormSender(HttpSender(url, "key", 5, "test"), ledger, copies=3)
    result = sender.send(_batch("a", "b"))
    assert result.outcome == "sent"
    assert len(received) == 3 and len(set(received)) == 1
    assert ledger.snapshot() == {"inference": {"a", "b"}}  # b was kept by the third copy
    assert ledger.counters["posts_retry"] == 1 and ledger.counters["posts_sent"] == 2


def test_storm_reports_a_retry_when_no_copy_got_through(ingest) -> None:
    url, script, _ = ingest
    script += [(503, {}), (500, {}), (429, {})]
    ledger = AckLedger()
    result = StormSender(HttpSender(url, "key", 5, "test"), ledger).send(_batch("a"))
    assert result.outcome == "retry"
    assert ledger.total() == 0


def test_clock_faults_move_both_times_by_the_same_shift() -> None:
    ledger = AckLedger()
    faults = ClockFaults(3, ledger)
    event = {"started_at": "2026-11-30T06:00:00.000000Z", "finished_at": "2026-11-30T06:00:01.5Z"}
    moved = [faults(dict(event)) for _ in range(2000)]
    changed = [m for m in moved if m != event]
    assert {"skewed", "late", "ahead", "far_ahead"} <= {
        k.removeprefix("clock_") for k in ledger.counters
    }
    assert sum(ledger.counters.values()) == len(changed)
    assert 0.1 < len(changed) / len(moved) < 0.25
    for m in changed:
        start = datetime.fromisoformat(m["started_at"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(m["finished_at"].replace("Z", "+00:00"))
        assert (end - start).total_seconds() == pytest.approx(1.5)


def test_planted_pii_is_what_the_plan_puts_in_prompts() -> None:
    planted = planted_pii([11, 12], 20)
    assert "jane.doe@example.com" in planted["email"]
    assert planted["phone"] and planted["user_id"] >= {"user-0000"}


def test_the_drivers_truth_survives_a_json_round_trip() -> None:
    driven = Driven(
        SoakConfig(minutes=1, seed=3),
        since_ms=1,
        seconds=60.0,
        faults=[Fault("clickhouse", 5.0, 2.5, "pid 1"), Fault("dagster-run", 9.0, None)],
        counters={"posts_sent": 3},
        acked={"inference": ["a", "b"]},
        seeds=[300000],
        flushed=True,
    )
    assert Driven.from_json(json.loads(json.dumps(driven.to_json()))) == driven
