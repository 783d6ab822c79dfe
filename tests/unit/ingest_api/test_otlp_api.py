"""`POST /v1/traces` in-process (store unreachable, acks spooled): encodings, answers, errors."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from ingest_api.app import create_app
from ingest_api.storage.spool import Spool
from ollive.stack.ports import free_port
from ollive_contract.object_keys import OTLP_TRACES_ARCHIVE, ObjectKey
from ollive_contract.settings import IngestSettings, ObjectStoreSettings
from tests.fixtures.otlp import CHAT, TOOL, all_spans, json_doc, protobuf_body, spans

KEY = "olk_unit_test_key_0123456789"
PB = {"Content-Type": "application/x-protobuf"}
JS = {"Content-Type": "application/json"}
HTTP_SPAN = {"http.request.method": "GET"}


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = IngestSettings(
        s3=ObjectStoreSettings(endpoint=f"http://127.0.0.1:{free_port()}"),
        demo_api_key=KEY,
        spool_dir=tmp_path / "ingest" / "spool",
        keys_db=tmp_path / "ingest" / "keys.sqlite",
        max_body_bytes=200_000,
        max_decompressed_bytes=1_000_000,
        max_events_per_request=100,
        prepare_workers=0,
        commit_max_ms=5,
        store_timeout_seconds=0.5,
    )
    with TestClient(create_app(settings)) as c:
        c.headers["Authorization"] = f"Bearer {KEY}"
        yield c


def _spooled(tmp_path: Path) -> dict[str, list[dict]]:
    """The spooled objects' lines, by kind (log type or the OTLP archive)."""
    out: dict[str, list[dict]] = {}
    spool = Spool(tmp_path / "ingest" / "spool", 10**9)
    for obj in map(spool.read, spool.pending()):
        kind = ObjectKey.parse(obj.key).log_type
        lines = gzip.decompress(obj.body).splitlines()
        out.setdefault(kind, []).extend(orjson.loads(line) for line in lines)
    return out


def test_protobuf_gzip_accepted_answered_in_protobuf(client: TestClient, tmp_path: Path) -> None:
    body = gzip.compress(protobuf_body(spans(CHAT, TOOL, HTTP_SPAN)))
    resp = client.post("/v1/traces", content=body, headers={**PB, "Content-Encoding": "gzip"})
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(resp.content)
    assert answer.partial_success.rejected_spans == 0
    assert "1 spans dropped: not GenAI" in answer.partial_success.error_message
    stored = _spooled(tmp_path)
    (inference,) = stored["inference"]
    (tool,) = stored["tool_execution"]
    assert (inference["model"], inference["input_tokens"], inference["project_id"]) == (
        "gpt-4o-mini",
        120,
        "demo",
    )
    assert tool["parent_span_id"] == inference["span_id"]
    (archived,) = stored[OTLP_TRACES_ARCHIVE]
    assert archived["spans"] == 3 and archived["encoding"] == "protobuf"
    assert len(all_spans(archived["request"])) == 3  # every span, GenAI or not
    metrics = client.get("/metrics").text
    assert 'ollive_ingest_otlp_spans_total{outcome="not_genai"} 1.0' in metrics
    assert 'ollive_ingest_otlp_spans_total{outcome="accepted"} 2.0' in metrics


def test_json_with_a_bad_span_gets_partial_success(client: TestClient, tmp_path: Path) -> None:
    doc = json_doc(spans(CHAT, TOOL))
    tool_span = next(s for s in all_spans(doc) if s["name"] == "span 1")
    tool_span["traceId"] = "not-hex"
    del client.headers["Authorization"]  # X-API-Key alone
    resp = client.post("/v1/traces", content=orjson.dumps(doc), headers={**JS, "X-API-Key": KEY})
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    partial = resp.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1" and "traceId must be 32 hex" in partial["errorMessage"]
    assert len(_spooled(tmp_path)["inference"]) == 1


def test_all_accepted_leaves_partial_success_unset(client: TestClient) -> None:
    resp = client.post("/v1/traces", content=orjson.dumps(json_doc(spans(CHAT))), headers=JS)
    assert resp.status_code == 200 and resp.json() == {}


def test_pii_in_attributes_redacted_in_events_and_archive(
    client: TestClient, tmp_path: Path
) -> None:
    chat = {**CHAT, "gen_ai.input.messages": "mail me at jane.doe@example.com"}
    resp = client.post("/v1/traces", content=protobuf_body(spans(chat, HTTP_SPAN)), headers=PB)
    assert resp.status_code == 200
    stored = _spooled(tmp_path)
    assert stored["inference"][0]["input_preview"] == "mail me at <EMAIL_ADDRESS>"
    assert stored["inference"][0]["pii_entities"] == ["EMAIL_ADDRESS"]
    assert b"jane.doe" not in orjson.dumps(stored[OTLP_TRACES_ARCHIVE])


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"\xff\xff", PB, 400),
        (b"{", {"Content-Type": "application/json"}, 400),
        (b"[]", {"Content-Type": "application/json"}, 400),
        (b"x" * 300_000, PB, 413),
        (b"\x1f\x8b broken", {**PB, "Content-Encoding": "gzip"}, 400),
        (b"", {**PB, "Content-Encoding": "br"}, 415),
    ],
)
def test_refusals_are_google_rpc_status(
    client: TestClient, body: bytes, headers: dict, status: int
) -> None:
    resp = client.post("/v1/traces", content=body, headers=headers)
    assert resp.status_code == status
    if headers["Content-Type"] == "application/x-protobuf":
        assert Status.FromString(resp.content).message
    else:
        assert resp.json()["message"]


def test_too_many_spans_is_413(client: TestClient) -> None:
    body = protobuf_body(spans(*[CHAT] * 101))
    assert client.post("/v1/traces", content=body, headers=PB).status_code == 413


def test_unsupported_media_type_is_415(client: TestClient) -> None:
    resp = client.post("/v1/traces", content=b"{}", headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415 and "application/x-protobuf" in resp.json()["message"]


def test_unknown_key_is_401_in_the_request_encoding(client: TestClient) -> None:
    body = protobuf_body(spans(CHAT))
    resp = client.post(
        "/v1/traces", content=body, headers={**PB, "Authorization": "Bearer olk_nope"}
    )
    assert resp.status_code == 401
    assert Status.FromString(resp.content).code == 16
    native = client.post("/v1/logs", json=[], headers={"Authorization": "Bearer olk_nope"})
    assert native.json()["error"]["code"] == "unauthorized"  # the native body is unchanged
