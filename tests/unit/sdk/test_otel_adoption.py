"""An active OpenTelemetry span lends its trace to Ollive events; without OpenTelemetry loaded
the SDK never imports it.

Uses only `opentelemetry-api` (a span made current with `use_span`, as an instrumented web
framework or an extracted `traceparent` leaves it), which the workspace gets through dbt-core
and FastAPI; no OpenTelemetry SDK is needed to make a span current.
"""

from __future__ import annotations

import subprocess
import sys

from opentelemetry import trace as otel

from tests.fixtures.trace_events import assert_w3c_ids, recorder, wire

OTEL_TRACE = 0x4BF92F3577B34DA6A3CE929D0E0E4736
OTEL_SPAN = 0x00F067AA0BA902B7


def otel_span(trace_id: int = OTEL_TRACE, span_id: int = OTEL_SPAN) -> otel.Span:
    context = otel.SpanContext(trace_id, span_id, is_remote=False,
                               trace_flags=otel.TraceFlags(otel.TraceFlags.SAMPLED))  # fmt: skip
    return otel.NonRecordingSpan(context)


def test_events_under_an_otel_span_join_its_trace():
    client, events = recorder()
    with otel.use_span(otel_span()):
        client.log("info", "bare log")
        with client.trace("turn"), client.inference(provider="p", model="m"):
            pass
    bare, inference, turn = wire(events)
    for event in (bare, turn):
        assert event["trace_id"] == f"{OTEL_TRACE:032x}"
        assert event["parent_span_id"] == f"{OTEL_SPAN:016x}"
    # inside an Ollive span, the Ollive span is the parent: the tree stays whole in Ollive
    assert inference["trace_id"] == turn["trace_id"]
    assert inference["parent_span_id"] == turn["span_id"]


def test_an_otel_span_opened_inside_an_ollive_trace_does_not_split_it():
    client, events = recorder()
    with client.trace("turn"), otel.use_span(otel_span(0x1234, 0x5678)):
        client.log("info", "inside")
    log, turn = wire(events)
    assert log["trace_id"] == turn["trace_id"] and log["parent_span_id"] == turn["span_id"]


def test_an_invalid_otel_span_is_ignored():
    client, events = recorder()
    with otel.use_span(otel.INVALID_SPAN):
        client.log("info", "x")
    [event] = wire(events)
    assert_w3c_ids(event)
    assert "parent_span_id" not in event and event["trace_id"] != f"{0:032x}"


def test_otel_trace_ids_decide_sampling_like_the_rest():
    """The low 64 bits of this trace id are small: kept at 10 %; a high one is dropped."""
    client, events = recorder(sample_rate=0.1)
    with otel.use_span(otel_span(trace_id=(0xABC << 64) | 1)):
        client.log("info", "kept")
    with otel.use_span(otel_span(trace_id=(0xABC << 64) | (2**64 - 1))):
        client.log("info", "dropped")
    assert [e["message"] for e in wire(events)] == ["kept"]
    assert client.stats().sampled_out == 1


def test_the_sdk_never_imports_opentelemetry():
    code = (
        "import sys, ollive_sdk, ollive_sdk.integrations.google_genai\n"
        "c = ollive_sdk.Client(environ={}, endpoint='http://127.0.0.1:9', api_key='k')\n"
        "c._emit = lambda e: None\n"
        "with c.trace('t'), c.inference(provider='p', model='m'): c.log('info', 'x')\n"
        "sys.exit(any(m.startswith('opentelemetry') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
