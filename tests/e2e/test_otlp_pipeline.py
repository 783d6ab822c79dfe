"""OpenTelemetry in, facts out, on the running embedded stack: stock OTLP/HTTP exporters
(protobuf and JSON, configured by OTEL_EXPORTER_OTLP_ENDPOINT and a header only) carrying the
official google-genai and openai-v2 instrumentations' spans over the real clients (HTTP faked)
→ ingest → SeaweedFS → Dagster load → dbt → `fct_inferences` with tokens and priced cost; then
a mapping fix replayed from the raw OTLP archive replaces those facts, with no duplicates.

Prices (dbt_project/seeds/model_prices.csv, rows valid today), per million tokens:
gemini-2.5-flash% (2025-06-17): input 0.30, output 2.50, cached input 0.03, reasoning = output;
gpt-4o-mini% (2024-07-18): input 0.15, output 0.60. Input counts include cached, output counts
include reasoning (OTel).
"""

from __future__ import annotations

import gzip
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import openai
import orjson
import pytest
from opentelemetry.exporter.otlp.json.http.trace_exporter import (
    OTLPSpanExporter as JsonSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as ProtobufSpanExporter,
)
from opentelemetry.instrumentation.google_genai import GoogleGenAiSdkInstrumentor
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from ingest_api.otlp import mapping
from ingest_api.otlp.replay import ArchivedTextRedactor, replay, s3_client
from ollive_contract.object_keys import OTLP_TRACES_ARCHIVE, ObjectKey
from ollive_contract.tables import MARTS_DATABASE, staging_table
from tests.fixtures.gemini_mock import MODEL as GEMINI_MODEL
from tests.fixtures.gemini_mock import gemini
from tests.fixtures.mock_http import mock_http
from tests.fixtures.openai_mock import COMPLETION
from tests.fixtures.openai_mock import MODEL as OPENAI_MODEL

# `make test-slow`, not `make test`: its own stack and two full pipeline passes take
# minutes (README, Tests)
pytestmark = pytest.mark.slow

EXPORTERS = {"protobuf": ProtobufSpanExporter, "json": JsonSpanExporter}
# a producer's own chat span whose prompt count only a vendor attribute carries: the mapping
# ignores it until the "fix" the replay test applies
VENDOR_CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": OPENAI_MODEL,
    "acme.usage.prompt_tokens": 1000,
    "gen_ai.usage.output_tokens": 100,
}
TOOL_SPAN = {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": "get_weather",
    "gen_ai.tool.call.id": "fc1",  # the id of the Gemini mock's function call
}
GEMINI_COST = (8 * 0.30 + 4 * 0.03 + 7 * 2.50 + 3 * 2.50) / 1e6
OPENAI_COST = (12 * 0.15 + 10 * 0.60) / 1e6
VENDOR_COST_BEFORE = 100 * 0.60 / 1e6
VENDOR_COST_AFTER = (1000 * 0.15 + 100 * 0.60) / 1e6


@dataclass
class Sent:
    services: dict[str, str]  # exporter → service.name
    sent_at: datetime


def _send(exporter: str, service: str) -> None:
    """One request's traffic: a Gemini call, an OpenAI call, the tool run, a vendor chat span."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(EXPORTERS[exporter]()))
    google, oai = GoogleGenAiSdkInstrumentor(), OpenAIInstrumentor()
    google.instrument(tracer_provider=provider, skip_dep_check=True)  # declares google-genai<3
    oai.instrument(tracer_provider=provider)
    try:
        tracer = provider.get_tracer("e2e.app")
        with tracer.start_as_current_span("handle request"):
            gemini().models.generate_content(model=GEMINI_MODEL, contents="Weather in Paris?")
            with tracer.start_as_current_span("execute_tool get_weather", attributes=TOOL_SPAN):
                pass
            client = openai.OpenAI(
                api_key="test-key",
                http_client=mock_http(lambda _: httpx2.Response(200, json=COMPLETION)),
                max_retries=0,
            )
            client.chat.completions.create(
                model=OPENAI_MODEL, messages=[{"role": "user", "content": "Weather in Paris?"}]
            )
            with tracer.start_as_current_span("chat acme", attributes=VENDOR_CHAT):
                pass
    finally:
        google.uninstrument()
        oai.uninstrument()
    assert provider.force_flush(30_000)
    provider.shutdown()


@pytest.fixture(scope="module")
def sent(embedded_stack) -> Iterator[Sent]:
    ingest = embedded_stack.settings.ingest
    run = uuid.uuid4().hex[:8]
    services = {name: f"otlp-e2e-{name}-{run}" for name in EXPORTERS}
    with pytest.MonkeyPatch.context() as env:
        # what a user sets, and nothing else; message content on, so tool calls are on the span
        env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", ingest.url)
        key = ingest.demo_api_key.get_secret_value()
        env.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer%20{key}")
        env.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
        env.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
        sent_at = datetime.now(UTC)
        for name, service in services.items():
            _send(name, service)
    yield Sent(services, sent_at)


def _rows(ch: Any, services: list[str]) -> list[dict[str, Any]]:
    result = ch.query(
        f"select service, provider, model, input_tokens, output_tokens, cached_input_tokens, "
        f"reasoning_tokens, cost_usd, cost_source, tool_call_ids, event_id, "
        f"JSONExtractString(metadata, 'otlp.mapping_version') as mapping_version "
        f"from {MARTS_DATABASE}.fct_inferences where service in {{services:Array(String)}} "
        f"order by service, model, input_tokens",
        parameters={"services": services},
    )
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def _staged(ch: Any, services: list[str]) -> tuple[int, int]:
    """(rows, distinct event ids) of the services' inferences in staging."""
    return ch.query(
        f"select count(), uniqExact(event_id) from {staging_table('inference')} "
        "where service in {services:Array(String)}",
        parameters={"services": services},
    ).result_rows[0]


def _wait(ch: Any, services: list[str], done: Any, timeout_s: float = 600) -> list[dict]:
    """Until `done(rows)` on the services' fact rows; says how far the events got if never."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            rows = _rows(ch, services)
        except Exception as exc:  # the fact table before dbt's first build
            rows, error = [], exc
        else:
            error = None
        if done(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the facts never settled: staged {_staged(ch, services)}, facts {rows}, {error}"
            )
        time.sleep(3)


def _raw_events(store: Any, services: list[str]) -> Counter[str]:
    """The services' events in the raw objects, by log type: the ingest stored them."""
    s3 = s3_client(store)
    found: Counter[str] = Counter()
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=store.bucket, Prefix="raw/")
    for key in (o["Key"] for page in pages for o in page.get("Contents", [])):
        log_type = ObjectKey.parse(key).log_type
        if log_type == OTLP_TRACES_ARCHIVE:
            continue
        body = gzip.decompress(s3.get_object(Bucket=store.bucket, Key=key)["Body"].read())
        for line in body.splitlines():
            if orjson.loads(line).get("service") in services:
                found[log_type] += 1
    return found


def _by_kind(rows: list[dict]) -> dict[str, dict]:
    """The three inference rows of one service, by where they came from."""
    out = {}
    for row in rows:
        kind = "gemini" if row["provider"] == "gcp.gemini" else "openai"
        if row["input_tokens"] in (None, 1000):
            kind = "vendor"
        out[kind] = row
    return out


def test_instrumented_spans_land_in_the_facts_with_tokens_and_cost(
    embedded_stack, sent: Sent
) -> None:
    ch = embedded_stack.clickhouse()
    services = list(sent.services.values())
    # stored by the ingest API (acknowledged once durable), before any load
    raw = _raw_events(embedded_stack.settings.s3, services)
    assert raw["inference"] >= 6 and raw["tool_execution"] >= 2, raw  # more: a retried export
    rows = _wait(ch, services, lambda rows: len(rows) == 6)
    for exporter, service in sent.services.items():
        kinds = _by_kind([r for r in rows if r["service"] == service])
        assert set(kinds) == {"gemini", "openai", "vendor"}, (exporter, kinds)
        g, o, v = kinds["gemini"], kinds["openai"], kinds["vendor"]
        assert (g["model"], g["input_tokens"], g["output_tokens"]) == (GEMINI_MODEL, 12, 10)
        assert (g["cached_input_tokens"], g["reasoning_tokens"]) == (4, 3)
        assert g["cost_usd"] == pytest.approx(GEMINI_COST, rel=1e-9)
        # openai-v2 2.4b0 reports neither cached nor reasoning tokens: priced as plain tokens
        assert (o["provider"], o["model"], o["input_tokens"], o["output_tokens"]) == (
            "openai",
            OPENAI_MODEL,
            12,
            10,
        )
        assert o["cost_usd"] == pytest.approx(OPENAI_COST, rel=1e-9)
        assert v["cost_usd"] == pytest.approx(VENDOR_COST_BEFORE, rel=1e-9)
        assert {r["cost_source"] for r in kinds.values()} == {"model_prices"}
        # the model's function calls, from gen_ai.output.messages
        assert (g["tool_call_ids"], o["tool_call_ids"]) == (["fc1"], ["call_1"])
        assert {r["mapping_version"] for r in kinds.values()} == {str(mapping.MAPPING_VERSION)}
    deadline = time.monotonic() + 120  # tool objects can land a load later
    while True:
        tools = ch.query(
            f"select tool_call_id from {MARTS_DATABASE}.fct_tool_executions "
            "where service in {services:Array(String)}",
            parameters={"services": services},
        ).result_rows
        if len(tools) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert sorted(tools) == [("fc1",), ("fc1",)]


def test_a_mapping_fix_replayed_from_the_archive_replaces_the_facts(
    embedded_stack, sent: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    ch = embedded_stack.clickhouse()
    services = list(sent.services.values())
    before = _wait(ch, services, lambda rows: len(rows) == 6)
    # the fix: the prompt count under the vendor's name, in a new mapping version
    fixed = mapping.MAPPING_VERSION + 1
    rules = tuple(
        mapping.Rule(r.field, (*r.sources, ("acme.usage.prompt_tokens", "vendor")), r.convert)
        if r.field == "input_tokens"
        else r
        for r in mapping.RULES
    )
    monkeypatch.setattr(mapping, "RULES", rules)
    monkeypatch.setattr(mapping, "MAPPING_VERSION", fixed)
    s3 = embedded_stack.settings.s3
    days = sorted({(sent.sent_at - timedelta(minutes=m)).date().isoformat() for m in (0, 10)})
    result = replay(s3_client(s3), s3.bucket, days, ArchivedTextRedactor([], None))
    assert result.events["inference"] >= 6 and result.events["tool_execution"] >= 2
    assert result.rejected == 0 and result.objects_written

    after = _wait(
        ch,
        services,
        lambda rows: len(rows) == 6 and {r["mapping_version"] for r in rows} == {str(fixed)},
    )
    assert sorted(r["event_id"] for r in after) == sorted(r["event_id"] for r in before)
    for service in services:
        kinds = _by_kind([r for r in after if r["service"] == service])
        assert kinds["vendor"]["input_tokens"] == 1000
        assert kinds["vendor"]["cost_usd"] == pytest.approx(VENDOR_COST_AFTER, rel=1e-9)
        assert kinds["gemini"]["cost_usd"] == pytest.approx(GEMINI_COST, rel=1e-9)
    staged = _staged(ch, services)
    # both copies staged (more if an export was retried); the facts keep the replayed one
    assert staged[0] >= 12 and staged[1] == 6
