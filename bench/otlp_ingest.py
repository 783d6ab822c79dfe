"""CPU per event of the ingest worker's step for OTLP protobuf, OTLP/JSON and native JSON, side
by side: the same events, PII redaction on, in one run, stage by stage.

The events are GenAI spans recorded by the OpenTelemetry SDK (a chat call with its messages,
tokens and a tool call, then the tool's run; about one prompt in five carries an e-mail or a
phone number). The OTLP bodies are what the stock exporters send (the protobuf exporter's
encoder; the OTLP/JSON exporter's encoder); the native body is the NDJSON of the very events the
OTLP mapping makes of them. Each body runs the stages of `POST /v1/traces`
(`ingest_api/otlp/prepare.py`) or `POST /v1/logs` (`ingest_api/intake/prepare.py`) in this
process, timed apart with `time.process_time` (CPU, so other processes move the figures less):

  decode    gunzip + parse (protobuf → OTLP/JSON dict; JSON; NDJSON lines)
  map       spans → contract event dicts (OTLP only)
  validate  the contract's pydantic validation
  redact    PII redaction of the free-text fields (to_record with the redactor, minus without)
  encode    to_record without redaction: the stored NDJSON line
  archive   the raw request's redacted archive line (OTLP only)
  commit    gzip of the stored lines, as the group commit does before its PUT

Two alternative designs run beside the shipped ones (stage figures only): design A, the archive
redacting every string, the values of id and name attributes too (the first design); design B,
the protobuf request turned into OTLP/JSON by protobuf's own `MessageToDict` instead of the
hand-written walk over the upb message (`ingest_api/otlp/decode.py`).

Each run gets a fresh redactor (a cold cache, as the first format would have) and the bodies
come in rounds of fresh strings. The end-to-end figure runs the real prepare functions.

    uv run python bench/otlp_ingest.py [--rounds 5] [--bodies 8] [--batch 100]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from google.protobuf.json_format import MessageToDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans as json_encode
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as proto_encode
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bench.ingest_common import report
from ingest_api.intake import prepare
from ingest_api.intake.body import RawEvent, decode, parse_events
from ingest_api.intake.records import to_record
from ingest_api.intake.validation import validate_events
from ingest_api.intake.workers import prepare_config
from ingest_api.otlp import archive
from ingest_api.otlp.archive import archive_line
from ingest_api.otlp.decode import JSON, PROTOBUF, parse_request
from ingest_api.otlp.mapping import map_span
from ingest_api.otlp.prepare import prepare_traces
from ingest_api.otlp.spans import SpanView, count_spans, iter_spans
from ollive_contract.settings import IngestSettings

NDJSON = "application/x-ndjson"
Parse = Callable[[bytes, str], dict[str, Any]]
STAGES = ("decode", "map", "validate", "redact", "encode", "archive", "commit")
PROMPTS = (
    "What is the weather in {city} tomorrow? Request {n}.",
    "Summarise ticket {n} for the {city} office in two lines.",
    "My e-mail is user{n}@example.com, please send the {city} report.",
    "Call me back on +1 415 555 {n:04d} about the {city} order.",
    "Translate 'good morning' into the language spoken in {city} ({n}).",
)
CITIES = ("Paris", "Lyon", "Berlin", "Madrid", "Oslo", "Rome", "Vienna", "Porto")


def _record(tracer: Any, rng: random.Random, n: int) -> None:
    prompt = rng.choice(PROMPTS).format(city=rng.choice(CITIES), n=n % 10_000)
    call_id = f"call_{n}"
    output = [{"role": "assistant", "finish_reason": "tool_call", "parts": [
        {"type": "text", "content": f"Checking {n}."},
        {"type": "tool_call", "id": call_id, "name": "get_weather",
         "arguments": {"city": rng.choice(CITIES)}}]}]  # fmt: skip
    chat = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.id": f"chatcmpl-{n}",
        "gen_ai.usage.input_tokens": rng.randint(20, 4000),
        "gen_ai.usage.output_tokens": rng.randint(5, 800),
        "gen_ai.usage.cache_read.input_tokens": rng.randint(0, 20),
        "gen_ai.response.finish_reasons": ("tool_calls",),
        "gen_ai.conversation.id": f"conv-{n // 4}",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.input.messages": orjson.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": prompt}]}]
        ).decode(),
        "gen_ai.output.messages": orjson.dumps(output).decode(),
    }
    tool = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": call_id,
        "gen_ai.tool.call.arguments": orjson.dumps(output[0]["parts"][1]["arguments"]).decode(),
        "gen_ai.tool.call.result": f"sunny, {rng.randint(-5, 35)} C",
    }
    with tracer.start_as_current_span("chat gpt-4o-mini", attributes=chat):
        pass
    with tracer.start_as_current_span("execute_tool get_weather", attributes=tool):
        pass


def bodies(seed: int, count: int, batch: int) -> dict[str, list[bytes]]:
    """`count` requests of `batch` events each (half chats, half tool runs), in each format."""
    rng = random.Random(seed)
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "bench-otlp"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("bench.otlp", "1.0")
    out: dict[str, list[bytes]] = defaultdict(list)
    for b in range(count):
        exporter.clear()
        for i in range(batch // 2):
            _record(tracer, rng, seed * 1_000_000 + b * batch + i)
        spans = exporter.get_finished_spans()
        out["otlp_protobuf"].append(gzip.compress(proto_encode(spans).SerializeToString()))
        json_body = json_encode(spans).to_json().encode()
        out["otlp_json"].append(gzip.compress(json_body))
        events = [map_span(v) for v in iter_spans(parse_request(json_body, JSON))]
        native = b"".join(orjson.dumps(e) + b"\n" for e in events)
        out["native_json"].append(gzip.compress(native))
    provider.shutdown()
    return out


class Clock:
    """CPU seconds per stage."""

    def __init__(self) -> None:
        self.cpu: Counter[str] = Counter()

    def run(self, stage: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        started = time.process_time()
        result = fn(*args, **kw)
        self.cpu[stage] += time.process_time() - started
        return result


def _records(clock: Clock, events: list[Any], now: datetime, redactor: Any) -> list[bytes]:
    """encode = to_record without a redactor; redact = with it, minus that."""
    started = time.process_time()
    _to_records(events, now, None)
    encoded = time.process_time()
    lines = _to_records(events, now, redactor)
    done = time.process_time()
    clock.cpu["encode"] += encoded - started
    clock.cpu["redact"] += (done - encoded) - (encoded - started)
    return lines


def _to_records(events: list[Any], now: datetime, redactor: Any) -> list[bytes]:
    entities: Counter[str] = Counter()
    return [
        to_record(e, received_at=now, project_id="bench", redactor=redactor, entity_counts=entities)
        for e in events
    ]


def staged_otlp(
    clock: Clock, body: bytes, media: str, now: datetime, redactor: Any, parse: Parse
) -> int:
    doc = clock.run("decode", lambda: parse(decode(body, "gzip", 1 << 30), media))
    mapped = clock.run(
        "map", lambda: [RawEvent(map_span(v)) for v in iter_spans(doc) if isinstance(v, SpanView)]
    )
    events = clock.run("validate", validate_events, mapped).events
    lines = _records(clock, events, now, redactor)
    archive = clock.run(
        "archive",
        archive_line,
        doc,
        encoding="bench",
        spans=count_spans(doc),
        received_at=now,
        project_id="bench",
        redactor=redactor,
    )
    clock.run("commit", gzip.compress, b"".join(lines), 6)
    clock.run("commit", gzip.compress, archive, 6)
    return len(events)


def parse_with_message_to_dict(data: bytes, media: str) -> dict[str, Any]:
    """Design B of the protobuf decode: protobuf's own MessageToDict (then hex ids)."""
    if media != PROTOBUF:
        return parse_request(data, media)
    request = ExportTraceServiceRequest()
    request.ParseFromString(data)
    doc = MessageToDict(request, use_integers_for_enums=True)
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return doc


@contextlib.contextmanager
def archive_redacting_identifiers() -> Iterator[None]:
    """Design A of the archive: every string redacted, ids and names too (the first design)."""
    kept = archive.IDENTIFIER_ATTRIBUTES
    archive.IDENTIFIER_ATTRIBUTES = frozenset()
    try:
        yield
    finally:
        archive.IDENTIFIER_ATTRIBUTES = kept


# name → (body format, decode, design patch); only the real formats also run end to end
RUNS: dict[str, tuple[str, Parse, Callable[[], Any]]] = {
    "native_json": ("native_json", parse_request, contextlib.nullcontext),
    "otlp_protobuf": ("otlp_protobuf", parse_request, contextlib.nullcontext),
    "otlp_json": ("otlp_json", parse_request, contextlib.nullcontext),
    "otlp_protobuf_design_a_archive_redacts_ids": (
        "otlp_protobuf",
        parse_request,
        archive_redacting_identifiers,
    ),
    "otlp_json_design_a_archive_redacts_ids": (
        "otlp_json",
        parse_request,
        archive_redacting_identifiers,
    ),
    "otlp_protobuf_design_b_message_to_dict": (
        "otlp_protobuf",
        parse_with_message_to_dict,
        contextlib.nullcontext,
    ),
}
REAL = ("native_json", "otlp_protobuf", "otlp_json")


def staged_native(clock: Clock, body: bytes, now: datetime, redactor: Any) -> int:
    raw = clock.run("decode", lambda: parse_events(decode(body, "gzip", 1 << 30), NDJSON, 1 << 20))
    events = clock.run("validate", validate_events, raw).events
    lines = _records(clock, events, now, redactor)
    clock.run("commit", gzip.compress, b"".join(lines), 6)
    return len(events)


def whole(fmt: str, body: bytes, now: datetime) -> None:
    if fmt == "native_json":
        prepare.prepare(body, "gzip", NDJSON, now, "bench")
    else:
        prepare_traces(body, "gzip", PROTOBUF if fmt == "otlp_protobuf" else JSON, now, "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bodies", type=int, default=8, help="requests per round")
    parser.add_argument("--batch", type=int, default=100, help="events per request")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    rounds = [bodies(100 + r, args.bodies, args.batch) for r in range(args.rounds)]
    settings = IngestSettings(pii_enabled=True)
    figures: dict[str, tuple[float, str]] = {}
    now = datetime.now(UTC)
    # warm-up, untimed: what loads lazily on first use (phone metadata, compiled patterns)
    prepare.init(prepare_config(settings))
    for fmt, warm in bodies(99, 1, args.batch).items():
        whole(fmt, warm[0], now)
    for name, (fmt, parse, design) in RUNS.items():
        prepare.init(prepare_config(settings))  # a fresh redactor: a cold cache per run
        _, redactor = prepare.worker_setup()
        clock, events = Clock(), 0
        with design():
            for r, formats in enumerate(rounds):
                for body in formats[fmt]:
                    if fmt == "native_json":
                        events += staged_native(clock, body, now, redactor)
                    else:
                        media = PROTOBUF if fmt == "otlp_protobuf" else JSON
                        events += staged_otlp(clock, body, media, now, redactor, parse)
                print(f"{name}: round {r + 1}/{len(rounds)} staged", flush=True)
        for stage in STAGES:
            if clock.cpu.get(stage):
                figures[f"{name}_{stage}_us_per_event"] = (clock.cpu[stage] / events * 1e6, "us")
        staged_total = sum(clock.cpu[s] for s in STAGES)
        figures[f"{name}_staged_us_per_event"] = (staged_total / events * 1e6, "us")
    # end to end: the real prepare functions, formats interleaved round by round (the machine's
    # load drifts), each (round, format) on a fresh redactor as above
    whole_cpu: Counter[str] = Counter()
    for r, formats in enumerate(rounds):
        for fmt in REAL:
            prepare.init(prepare_config(settings))
            started = time.process_time()
            for body in formats[fmt]:
                whole(fmt, body, now)
            whole_cpu[fmt] += time.process_time() - started
        print(f"end to end: round {r + 1}/{len(rounds)}", flush=True)
    for fmt in REAL:
        n = len(rounds) * args.bodies * args.batch
        figures[f"{fmt}_events_per_cpu_s"] = (n / whole_cpu[fmt], "events/CPU-s")
    native = figures["native_json_events_per_cpu_s"][0]
    for fmt in ("otlp_protobuf", "otlp_json"):
        figures[f"{fmt}_vs_native"] = (figures[f"{fmt}_events_per_cpu_s"][0] / native, "x")
    staged_native_us = figures["native_json_staged_us_per_event"][0]
    for name in RUNS:
        if name != "native_json":
            ratio = staged_native_us / figures[f"{name}_staged_us_per_event"][0]
            figures[f"{name}_staged_vs_native"] = (ratio, "x")
    load = os.getloadavg()
    figures["load_average_1m"] = (load[0], "")
    report("otlp_ingest", figures, {"args": vars(args), "load_average": load})


if __name__ == "__main__":
    main()
