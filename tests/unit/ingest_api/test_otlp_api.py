"""`POST /v1/traces` in-process (store unreachable, acks spooled): encodings, answers, errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from ingest_api.storage.spool import Spool
from ollive_contract.object_keys import OTLP_TRACES_ARCHIVE, ObjectKey
from tests.fixtures.ingest_app import API_KEY
from tests.fixtures.otlp import CHAT, TOOL, all_spans, json_doc, protobuf_body, spans

PB = {"Content-Type": "application/x-protobuf"}
JS = {"Content-Type": "application/json"}
HTTP_SPAN = {"http.request.method": "GET"}


def _spooled(tmp_path: Path) -> dict[str, list[dict]]:
    """The spooled objects' lines, by kind (log type or the OTLP archive)."""
    out: dict[str, list[dict]] = {}
    spool = Spool(tmp_path / "ingest" / "spool", 10**9)
    for obj in map(spool.read, spool.pending()):
        kind = ObjectKey.parse(obj.key).log_type
        lines = gzip.decompress(obj.body).splitlines()
        out.setdefault(kind, []).extend(orjson.loads(line) for line in lines)
    return out


def test_protobuf_gzip_accepted_answered_in_protobuf(
    ingest_app: TestClient, tmp_path: Path
) -> None:
    body = gzip.compress(protobuf_body(spans(CHAT, TOOL, HTTP_SPAN)))
    resp = ingest_app.post("/v1/traces", content=body, headers={**PB, "Content-Encoding": "gzip"})
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
    metrics = ingest_app.get("/metrics").text
    assert 'ollive_ingest_otlp_spans_total{outcome="not_genai"} 1.0' in metrics
    assert 'ollive_ingest_otlp_spans_total{outcome="accepted"} 2.0' in metrics


def test_json_with_a_bad_span_gets_partial_success(ingest_app: TestClient, tmp_path: Path) -> None:
    doc = json_doc(spans(CHAT, TOOL))
    tool_span = next(s for s in all_spans(doc) if s["name"] == "span 1")
    tool_span["traceId"] = "not-hex"
    del ingest_app.headers["Authorization"]  # X-API-Key alone
    resp = ingest_app.post(
        "/v1/traces", content=orjson.dumps(doc), headers={**JS, "X-API-Key": API_KEY}
    )
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    partial = resp.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1" and "traceId must be 32 hex" in partial["errorMessage"]
    assert len(_spooled(tmp_path)["inference"]) == 1


def test_all_accepted_leaves_partial_success_unset(ingest_app: TestClient) -> None:
    resp = ingest_app.post("/v1/traces", content=orjson.dumps(json_doc(spans(CHAT))), headers=JS)
    assert resp.status_code == 200 and resp.json() == {}


def test_pii_in_attributes_redacted_in_events_and_archive(
    ingest_app: TestClient, tmp_path: Path
) -> None:
    chat = {**CHAT, "gen_ai.input.messages": "mail me at jane.doe@example.com"}
    resp = ingest_app.post("/v1/traces", content=protobuf_body(spans(chat, HTTP_SPAN)), headers=PB)
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
    ingest_app: TestClient, body: bytes, headers: dict, status: int
) -> None:
    resp = ingest_app.post("/v1/traces", content=body, headers=headers)
    assert resp.status_code == status
    if headers["Content-Type"] == "application/x-protobuf":
        assert Status.FromString(resp.content).message
    else:
        assert resp.json()["message"]


def test_too_many_spans_is_413(ingest_app: TestClient) -> None:
    body = protobuf_body(spans(*[CHAT] * 101))
    assert ingest_app.post("/v1/traces", content=body, headers=PB).status_code == 413


def test_unsupported_media_type_is_415(ingest_app: TestClient) -> None:
    resp = ingest_app.post("/v1/traces", content=b"{}", headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415 and "application/x-protobuf" in resp.json()["message"]


def test_unknown_key_is_401_in_the_request_encoding(ingest_app: TestClient) -> None:
    body = protobuf_body(spans(CHAT))
    resp = ingest_app.post(
        "/v1/traces", content=body, headers={**PB, "Authorization": "Bearer olk_nope"}
    )
    assert resp.status_code == 401
    assert Status.FromString(resp.content).code == 16
    native = ingest_app.post("/v1/logs", json=[], headers={"Authorization": "Bearer olk_nope"})
    assert native.json()["error"]["code"] == "unauthorized"  # the native body is unchanged
