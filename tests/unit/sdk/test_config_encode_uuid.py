"""Configuration from the environment, the encoder's limits and masking, and UUIDv7 ids."""

from __future__ import annotations

import importlib
import json
import threading
import time
import uuid

from ollive_sdk import Client, Config
from ollive_sdk.backoff import delay, parse_retry_after
from ollive_sdk.encode import Filtered, encode, normalize
from ollive_sdk.masking import drop_fields, regex_mask
from ollive_sdk.uuid7 import uuid7, uuid7_int

# `ollive_sdk.uuid7` is the function (re-exported); the module holds the sequence state.
uuid7_module = importlib.import_module("ollive_sdk.uuid7")

BASE = {"event_id": "0190b6a0-0000-7000-8000-000000000000", "log_type": "application",
        "service": "s", "level": "info", "logger": "l", "started_at": 0.0}  # fmt: skip


def test_config_reads_the_environment_and_arguments_win():
    env = {
        "OLLIVE_ENDPOINT": "http://ingest:8000",
        "OLLIVE_API_KEY": "olk_x",
        "OLLIVE_SERVICE": "chat",
        "OLLIVE_ENVIRONMENT": "prod",
        "OLLIVE_SAMPLE_RATE": "0.5",
        "OLLIVE_MAX_QUEUE_SIZE": "123",
        "OLLIVE_FLUSH_INTERVAL": "oops",  # ignored with a warning, never raised
    }
    config = Config.resolve(env, service="billing")
    assert (config.endpoint, config.service, config.environment) == (
        "http://ingest:8000", "billing", "prod",
    )  # fmt: skip
    assert config.sample_rate == 0.5 and config.transport.max_queue_size == 123
    assert config.transport.flush_interval_s == 1.0
    assert not Config.resolve({**env, "OLLIVE_ENABLED": "false"}).active


def test_a_bad_endpoint_disables_instead_of_raising():
    client = Client(environ={}, endpoint="ftp://nope", api_key="k")
    assert not client.enabled


def test_normalize_bounds_every_field():
    raw = {
        **BASE,
        "message": "m" * 40_000,
        "exception_stack": "frame\n" * 10_000 + "innermost",
        "conversation_id": "",
        "metadata": {f"k{i}": i for i in range(100)} | {"nan": float("nan")},
        "latency_ms": -5,
    }
    ev = normalize(raw)
    assert len(ev["message"]) == 32_768 and ev["message"].endswith("…")
    assert ev["exception_stack"].endswith("innermost") and len(ev["exception_stack"]) == 32_768
    assert "conversation_id" not in ev
    assert len(ev["metadata"]) == 64
    assert ev["latency_ms"] == 0.0
    assert ev["started_at"] == "1970-01-01T00:00:00.000000Z"
    json.loads(encode(raw))


def test_masks_run_before_sending_and_cannot_touch_ids_or_server_fields():
    raw = {**BASE, "message": "mail bob@example.com", "metadata": {"who": "bob@example.com"}}
    ev = json.loads(encode(raw, regex_mask([r"\S+@\S+"])))
    assert ev["message"] == "mail <redacted>" and ev["metadata"]["who"] == "<redacted>"

    def hostile(event: dict) -> dict:
        return {**event, "event_id": "x", "project_id": "other", "pii_detected": False}

    ev = json.loads(encode(raw, hostile))
    assert ev["event_id"] == BASE["event_id"] and "project_id" not in ev
    assert "message" not in json.loads(encode(raw, drop_fields("message")))
    try:
        encode(raw, lambda event: None)
    except Filtered:
        pass
    else:
        raise AssertionError("a mask returning None filters the event")


def test_retry_after_and_backoff():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("junk") is None and parse_retry_after(None) is None
    assert parse_retry_after("99999") == 300.0
    assert all(0 <= delay(a, 0.5, 30) <= 30 for a in range(1, 50))
    assert delay(1, 0.5, 30, retry_after_s=2.0) >= 2.0


def test_uuid7_layout_and_time():
    u = uuid.UUID(uuid7())
    assert u.version == 7 and u.variant == uuid.RFC_4122
    assert abs((u.int >> 80) - time.time() * 1000) < 1_000


def test_uuid7_is_monotonic_within_a_millisecond_and_across_threads(monkeypatch):
    # Sequence state is restored afterwards: real ids must not inherit the fake clock.
    monkeypatch.setattr(uuid7_module, "_last_ms", 0)
    monkeypatch.setattr(uuid7_module, "_last_rand", 0)
    same_ms = [uuid7_int(now_ms=1_700_000_000_000) for _ in range(1_000)]
    assert same_ms == sorted(same_ms) and len(set(same_ms)) == 1_000
    assert {v >> 80 for v in same_ms} == {1_700_000_000_000}
    assert uuid7_int(now_ms=1) > same_ms[-1]  # a clock stepping back never reorders ids
    monkeypatch.undo()

    out: list[list[str]] = []

    def make() -> None:
        out.append([uuid7() for _ in range(2_000)])

    threads = [threading.Thread(target=make) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for ids in out for i in ids]
    assert len(set(every)) == len(every)
    assert all(ids == sorted(ids) for ids in out)
