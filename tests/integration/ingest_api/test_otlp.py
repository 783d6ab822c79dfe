"""OTLP/HTTP into the real `python -m ingest_api` (real SeaweedFS): the OpenTelemetry SDK's own
OTLP/HTTP protobuf exporter configured by its environment variables only, OTLP/JSON bodies (no
JSON exporter installs beside the protobuf one), and the official google-genai instrumentation
driving the real `google.genai` client over a mock transport (its dependency check skipped:
1.1b1 declares google-genai < 3, the project runs 3.x, and the client API it wraps is
unchanged). The openai-v2 instrumentation runs end to end in tests/e2e/test_otlp_pipeline.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.google_genai import GoogleGenAiSdkInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from ollive_contract.object_keys import OTLP_TRACES_ARCHIVE, ObjectKey
from tests.fixtures.gemini_mock import MODEL, gemini
from tests.fixtures.ingest_events import stored_objects
from tests.fixtures.otlp import CHAT, TOOL, all_spans, json_doc, spans


@pytest.fixture()
def exporter_env(ingest_api, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a user sets: the endpoint (the SDK appends /v1/traces), the key, gzip."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", ingest_api.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer%20{ingest_api.api_key}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")


@pytest.fixture()
def provider(exporter_env) -> Iterator[TracerProvider]:
    provider = TracerProvider(resource=Resource.create({"service.name": "otlp-it"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    yield provider
    provider.shutdown()


def _stored(s3_store, trace_id: str) -> dict[str, list[dict[str, Any]]]:
    """Events and archived requests of one trace, by kind."""
    out: dict[str, list[dict[str, Any]]] = {}
    client, bucket = s3_store.client(), s3_store.creds.bucket
    objects = {
        **stored_objects(client, bucket),
        **stored_objects(client, bucket, f"raw/{OTLP_TRACES_ARCHIVE}/"),
    }
    for key, obj in objects.items():
        kind = ObjectKey.parse(key).log_type
        for line in obj["events"]:
            request = line.get("request")
            # a stored line leaves out null fields: other tests' events may have no trace id
            ids = {s["traceId"] for s in all_spans(request)} if request else {line.get("trace_id")}
            if trace_id in ids:
                out.setdefault(kind, []).append(line)
    return out


def test_sdk_protobuf_exporter_lands_events(provider: TracerProvider, s3_store) -> None:
    tracer = provider.get_tracer("it.otlp")
    with tracer.start_as_current_span("chat gpt-4o-mini", attributes=CHAT) as chat:
        with tracer.start_as_current_span("execute_tool get_weather", attributes=TOOL):
            pass
        with tracer.start_as_current_span("GET /weather"):
            pass
    assert provider.force_flush()
    trace_id = format(chat.get_span_context().trace_id, "032x")
    stored = _stored(s3_store, trace_id)
    (inference,) = stored["inference"]
    (tool,) = stored["tool_execution"]
    assert (inference["provider"], inference["model"], inference["service"]) == (
        "openai",
        "gpt-4o-mini",
        "otlp-it",
    )
    assert (inference["input_tokens"], inference["output_tokens"]) == (120, 30)
    assert (inference["cached_input_tokens"], inference["reasoning_tokens"]) == (100, 7)
    assert inference["project_id"] == "demo" and inference["span_id"] == tool["parent_span_id"]
    assert tool["tool_name"] == "get_weather" and tool["trace_id"] == trace_id
    (archived,) = stored[OTLP_TRACES_ARCHIVE]
    assert archived["spans"] == 3 and archived["encoding"] == "protobuf"


def test_otlp_json_with_int64_as_numbers(ingest_api, s3_store) -> None:
    doc = json_doc(spans(CHAT))
    for span in all_spans(doc):
        span["startTimeUnixNano"] = int(span["startTimeUnixNano"])
        for attr in span["attributes"]:
            if "intValue" in attr["value"]:
                attr["value"]["intValue"] = int(attr["value"]["intValue"])
    resp = httpx.post(
        f"{ingest_api.url}/v1/traces",
        content=orjson.dumps(doc),
        headers={**ingest_api.headers, "Content-Type": "application/json"},
    )
    assert resp.status_code == 200 and resp.json() == {}, resp.text
    (inference,) = _stored(s3_store, all_spans(doc)[0]["traceId"])["inference"]
    assert (inference["input_tokens"], inference["output_tokens"]) == (120, 30)


def test_google_genai_instrumentation_through_the_exporter(
    provider: TracerProvider, s3_store
) -> None:
    instrumentor = GoogleGenAiSdkInstrumentor()
    instrumentor.instrument(tracer_provider=provider, skip_dep_check=True)
    try:
        client = gemini()
        tracer = provider.get_tracer("it.app")
        with tracer.start_as_current_span("handle request") as root:
            client.models.generate_content(model=MODEL, contents="Weather in Paris?")
    finally:
        instrumentor.uninstrument()
    assert provider.force_flush()
    stored = _stored(s3_store, format(root.get_span_context().trace_id, "032x"))
    (inference,) = stored["inference"]
    assert (inference["provider"], inference["model"]) == ("gcp.gemini", MODEL)
    # the instrumentation counts thoughts in the output tokens (7 + 3) and says so separately
    assert (inference["input_tokens"], inference["output_tokens"]) == (12, 10)
    assert (inference["cached_input_tokens"], inference["reasoning_tokens"]) == (4, 3)
    assert inference["finish_reason"] == "stop"
    assert inference["response_model"] == "gemini-2.5-flash-001"
    # util-genai's handler records the span on the instrumentation's behalf
    assert inference["metadata"]["otlp.scope_name"].startswith("opentelemetry.util.genai")
