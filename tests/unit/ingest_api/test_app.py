"""The HTTP surface in-process, with the store unreachable: errors, spooled acks, health, docs."""

from __future__ import annotations

import gc
import gzip
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest_api.app import create_app
from ollive.stack.ports import free_port
from ollive_contract.settings import IngestSettings, ObjectStoreSettings
from tests.fixtures.ingest_app import API_KEY
from tests.fixtures.ingest_events import application, inference, ndjson


def test_accepts_and_spools_when_store_is_down(ingest_app: TestClient, tmp_path: Path) -> None:
    resp = ingest_app.post("/v1/logs", json=[inference(), application()])
    assert resp.status_code == 202 and resp.json()["accepted"] == 2
    assert len(list((tmp_path / "ingest" / "spool").glob("*.spool"))) == 2
    ready = ingest_app.get("/readyz")
    assert ready.status_code == 200 and ready.json()["store"] == "down"
    assert ready.json()["spool_objects"] == 2


def test_ndjson_gzip_and_events_wrapper(ingest_app: TestClient) -> None:
    body = gzip.compress(ndjson([inference(), inference()]))
    headers = {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
    assert ingest_app.post("/v1/logs", content=body, headers=headers).json()["accepted"] == 2
    assert ingest_app.post("/v1/logs", json={"events": [inference()]}).status_code == 202


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b"[", "headers": {"Content-Type": "application/json"}}, 400, "bad_json"),
        (
            {"content": b"[]", "headers": {"Content-Type": "text/csv"}},
            415,
            "unsupported_media_type",
        ),
        (
            {"content": b"x" * 300_000, "headers": {"Content-Type": "application/json"}},
            413,
            "body_too_large",
        ),
        ({"json": [inference() for _ in range(101)]}, 413, "too_many_events"),
        ({"json": [{"log_type": "inference"}]}, 422, "no_valid_events"),
        (
            {
                "content": gzip.compress(b"[" + b" " * 5_000_000 + b"]"),
                "headers": {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            },
            413,
            "decompressed_too_large",
        ),
    ],
)
def test_errors(ingest_app: TestClient, kwargs: dict, status: int, code: str) -> None:
    resp = ingest_app.post("/v1/logs", **kwargs)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code


def test_auth(ingest_app: TestClient) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer olk_wrong"}):
        resp = ingest_app.post("/v1/logs", json=[inference()], headers=headers)
        assert resp.status_code == 401
    assert (
        ingest_app.post(
            "/v1/logs", json=[inference()], headers={"Authorization": "", "X-API-Key": API_KEY}
        ).status_code
        == 202
    )


def test_mixed_batch_reports_rejections(ingest_app: TestClient) -> None:
    resp = ingest_app.post("/v1/logs", json=[inference(), {"log_type": "bogus"}, "text"])
    assert resp.status_code == 202
    body = resp.json()
    assert body["accepted"] == 1 and [r["index"] for r in body["rejected"]] == [1, 2]


def test_health_metrics_docs(ingest_app: TestClient) -> None:
    ingest_app.post("/v1/logs", json=[inference(input_preview="mail a.b@example.com"), {"x": 1}])
    assert ingest_app.get("/healthz").json() == {"status": "ok"}
    metrics = ingest_app.get("/metrics").text
    assert 'ollive_ingest_events_accepted_total{log_type="inference"} 1.0' in metrics
    assert 'ollive_ingest_pii_redactions_total{entity="EMAIL_ADDRESS"} 1.0' in metrics
    assert 'ollive_ingest_events_rejected_total{reason="invalid"} 1.0' in metrics
    assert "ollive_ingest_spool_objects" in metrics
    assert "/v1/logs" in ingest_app.get("/openapi.json").json()["paths"]
    assert ingest_app.get("/docs").status_code == 200


def test_only_the_served_app_freezes_what_startup_built(tmp_path: Path) -> None:
    settings = IngestSettings(
        s3=ObjectStoreSettings(endpoint=f"http://127.0.0.1:{free_port()}"),
        spool_dir=tmp_path / "spool",
        keys_db=tmp_path / "keys.sqlite",
        prepare_workers=0,
        pii_enabled=False,
        store_timeout_seconds=0.5,
    )
    before = gc.get_freeze_count()
    with TestClient(create_app(settings)):
        assert gc.get_freeze_count() == before  # an app a test builds and drops: nothing frozen
    try:
        with TestClient(create_app(settings, freeze_after_startup=True)) as client:
            assert gc.get_freeze_count() > before
            assert client.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
