"""A corpus of malformed requests: each a clear 4xx, the server stays up, good events survive."""

from __future__ import annotations

import gzip
import uuid

import httpx
import pytest

from tests.fixtures.ingest_events import inference, ndjson, stored_event_ids

JSON = {"Content-Type": "application/json"}
GZ_JSON = {**JSON, "Content-Encoding": "gzip"}
BOMB = gzip.compress(b"[" + b" " * (200 * 2**20) + b"]", compresslevel=9)  # 200 MiB inflated


def _bad_event(**fields):
    return inference(**fields)


CASES = [
    ("bad json", {"content": b'[{"log_type": "inference",', "headers": JSON}, 400, "bad_json"),
    ("not utf-8", {"content": b'[{"x": "\xff\xfe"}]', "headers": JSON}, 400, "bad_json"),
    (
        "object not list",
        {"content": b'{"log_type": "inference"}', "headers": JSON},
        400,
        "bad_shape",
    ),
    ("empty list", {"content": b"[]", "headers": JSON}, 400, "empty_batch"),
    (
        "wrong types",
        {"json": [_bad_event(input_tokens="many", stream="yes")]},
        422,
        "no_valid_events",
    ),
    (
        "missing fields",
        {"json": [{"log_type": "inference", "event_id": str(uuid.uuid4())}]},
        422,
        "no_valid_events",
    ),
    ("unknown log type", {"json": [_bad_event(log_type="metrics")]}, 422, "no_valid_events"),
    ("huge field", {"json": [_bad_event(input_preview="x" * 40_000)]}, 422, "no_valid_events"),
    (
        "too many metadata keys",
        {"json": [_bad_event(metadata={f"k{i}": i for i in range(100)})]},
        422,
        "no_valid_events",
    ),
    ("nested metadata", {"json": [_bad_event(metadata={"a": {"b": 1}})]}, 422, "no_valid_events"),
    ("scalar events", {"json": [1, "two", None]}, 422, "no_valid_events"),
    ("duplicate ids only", None, 202, None),  # built in the test: the first copy is kept
    ("bad gzip", {"content": b"\x1f\x8bnot really gzip", "headers": GZ_JSON}, 400, "bad_gzip"),
    (
        "truncated gzip",
        {"content": gzip.compress(b"[" * 5000)[:40], "headers": GZ_JSON},
        400,
        "bad_gzip",
    ),
    ("gzip bomb", {"content": BOMB, "headers": GZ_JSON}, 413, "decompressed_too_large"),
    ("body too large", {"content": b" " * (6 * 2**20), "headers": JSON}, 413, "body_too_large"),
    (
        "wrong content type",
        {"content": b"[]", "headers": {"Content-Type": "text/plain"}},
        415,
        "unsupported_media_type",
    ),
    (
        "no content type",
        {"content": b"[]", "headers": {"Content-Type": ""}},
        415,
        "unsupported_media_type",
    ),
    (
        "unknown encoding",
        {"content": b"[]", "headers": {**JSON, "Content-Encoding": "br"}},
        415,
        "unsupported_encoding",
    ),
    (
        "ndjson bad lines only",
        {"content": b"{nope\n[1,\n", "headers": {"Content-Type": "application/x-ndjson"}},
        422,
        "no_valid_events",
    ),
]


@pytest.mark.parametrize(
    ("name", "request_kwargs", "status", "code"), CASES, ids=[c[0] for c in CASES]
)
def test_malformed_request(ingest_api, name, request_kwargs, status, code) -> None:
    url, headers = f"{ingest_api.url}/v1/logs", ingest_api.headers
    if request_kwargs is None:  # duplicate ids
        event = inference()
        resp = httpx.post(url, json=[event, event], headers=headers)
        assert resp.status_code == 202
        assert resp.json()["accepted"] == 1 and resp.json()["rejected"][0]["code"] == "duplicate"
        return
    extra = request_kwargs.pop("headers", {})
    resp = httpx.post(url, headers={**headers, **extra}, timeout=30, **request_kwargs)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code
    assert resp.json()["error"]["message"]
    assert httpx.get(f"{ingest_api.url}/healthz").status_code == 200


@pytest.mark.parametrize(
    "auth",
    [
        {},
        {"Authorization": "Bearer olk_not_a_key"},
        {"Authorization": "Basic Zm9vOmJhcg=="},
        {"X-API-Key": "nope"},
    ],
)
def test_missing_or_wrong_key_is_401(ingest_api, auth) -> None:
    resp = httpx.post(f"{ingest_api.url}/v1/logs", json=[inference()], headers=auth)
    assert resp.status_code == 401
    assert "olk_" not in resp.text.replace("olk_<", "")


def test_odd_unicode_is_stored_intact(ingest_api, s3_store) -> None:
    texts = [
        "emoji \U0001f600\U0001f680",
        "rtl \u202e\u05e9\u05dc\u05d5\u05dd",
        "nul \u0000 byte",
        "zw\u200bj\u200d",
        "combining e\u0301",
        "surrogate-free \U00010348",
        "\ufeffbom",
    ]
    events = [inference(input_preview=t) for t in texts]
    resp = httpx.post(
        f"{ingest_api.url}/v1/logs",
        content=ndjson(events),
        headers={**ingest_api.headers, "Content-Type": "application/x-ndjson"},
    )
    assert resp.status_code == 202 and resp.json()["accepted"] == len(texts)
    lone = (
        b'[{"log_type":"application","event_id":"%s","started_at":"2026-01-01T00:00:00Z",'
        b'"service":"s","level":"info","message":"\\ud800"}]' % str(uuid.uuid4()).encode()
    )
    assert httpx.post(
        f"{ingest_api.url}/v1/logs", content=lone, headers={**ingest_api.headers, **JSON}
    ).status_code in (202, 400, 422)


def test_good_events_of_mixed_batches_are_kept(ingest_api, s3_store) -> None:
    good = [inference() for _ in range(5)]
    batch = [
        good[0],
        {"log_type": "inference"},
        good[1],
        "junk",
        good[2],
        good[3],
        inference(input_preview="x" * 40_000),
        good[4],
    ]
    resp = httpx.post(f"{ingest_api.url}/v1/logs", json=batch, headers=ingest_api.headers)
    assert resp.status_code == 202
    assert resp.json()["accepted"] == 5
    assert [r["index"] for r in resp.json()["rejected"]] == [1, 3, 6]
    stored = set(stored_event_ids(s3_store.client(), s3_store.creds.bucket))
    assert {e["event_id"] for e in good} <= stored
