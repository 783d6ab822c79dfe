"""Property tests of the OTLP intake: any body is decoded and mapped, or refused with a 4xx.

`hypothesis` sends arbitrary bytes as protobuf, arbitrary JSON, and OTLP/JSON documents whose
spans hold arbitrary values where the specification puts ids, times, attributes and statuses,
through `parse_request` and the whole worker step (`prepare_traces`, with its mapping,
validation and archive line). Every input must end in a result or a `BodyError` with a 4xx
status, never another exception; every span is accepted, rejected or dropped, exactly once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_api.intake import prepare
from ingest_api.intake.body import BodyError
from ingest_api.intake.pseudonyms import Pseudonymiser
from ingest_api.otlp.decode import JSON, PROTOBUF, parse_request
from ingest_api.otlp.prepare import prepare_traces
from tests.fixtures.otlp import CHAT, TOOL, json_doc, protobuf_body, spans

FAST = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=24)
)
any_json = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
any_value = st.one_of(
    st.builds(lambda v: {"stringValue": v}, st.text(max_size=20) | any_json),
    st.builds(lambda v: {"intValue": v}, st.integers(-(2**70), 2**70) | st.text(max_size=8)),
    st.builds(lambda v: {"doubleValue": v}, st.floats(allow_nan=False) | st.text(max_size=5)),
    st.builds(lambda v: {"boolValue": v}, any_json),
    st.builds(lambda v: {"arrayValue": {"values": v}}, st.lists(any_json, max_size=3)),
    any_json,
)
attribute_keys = st.sampled_from(
    [
        *CHAT,
        *TOOL,
        "gen_ai.system",
        "user.id",
        "session.id",
        "llm.model_name",
        "openinference.span.kind",
    ]
) | st.text(max_size=10)
attributes = st.lists(
    st.fixed_dictionaries({"key": attribute_keys, "value": any_value}), max_size=6
)
hex_ids = st.text("0123456789abcdef", min_size=16, max_size=16) | st.text(
    "0123456789abcdefXYZ", max_size=34
)
span = st.fixed_dictionaries(
    {},
    optional={
        "traceId": hex_ids | any_json,
        "spanId": hex_ids | any_json,
        "parentSpanId": hex_ids,
        "name": st.text(max_size=12) | any_json,
        "kind": st.integers(-1, 6) | any_json,
        "startTimeUnixNano": st.integers(0, 2**64) | st.text(max_size=20),
        "endTimeUnixNano": st.integers(0, 2**64) | st.text(max_size=20),
        "attributes": attributes | any_json,
        "status": st.fixed_dictionaries({}, optional={"code": any_json, "message": any_json}),
        "events": st.lists(
            st.fixed_dictionaries({"name": st.text(max_size=8), "attributes": attributes}),
            max_size=2,
        ),
    },
)
documents = st.builds(
    lambda resource, spans_: {
        "resourceSpans": [
            {
                "resource": {"attributes": resource},
                "scopeSpans": [{"scope": {"name": "fuzz"}, "spans": spans_}],
            }
        ]
    },
    attributes,
    st.lists(span, max_size=5),
)


@pytest.fixture(scope="module")
def worker() -> None:
    prepare.init(
        prepare.PrepareConfig(
            max_decompressed_bytes=256 * 1024,
            max_events_per_request=50,
            pii_enabled=False,
            pii_entities=(),
            pii_ner_entities=(),
            pii_spacy_model=None,
            pii_fast_path=True,
            pii_cache_size=10,
            pseudonymiser=Pseudonymiser("p1", "otlp-property-key"),
        )
    )


@pytest.fixture(scope="module")
def real_body() -> bytes:
    """A chat span and a tool span, encoded by the OpenTelemetry SDK's own exporter."""
    return protobuf_body(spans(CHAT, TOOL))


def _prepare(body: bytes, media: str) -> Any:
    return prepare_traces(body, None, media, datetime(2026, 1, 5, tzinfo=UTC), "demo")


@FAST
@given(st.binary(max_size=2048), st.sampled_from([PROTOBUF, JSON]))
def test_any_bytes_decode_or_refuse_with_a_4xx(body: bytes, media: str) -> None:
    try:
        doc = parse_request(body, media)
    except BodyError as exc:
        assert exc.status == 400
    else:
        assert isinstance(doc, dict)


@FAST
@given(documents | any_json)
def test_any_document_maps_every_span_exactly_once(worker: None, doc: Any) -> None:
    body = json.dumps(doc).encode()  # ints past 64 bits too, which orjson cannot write
    try:
        prepared = _prepare(body, JSON)
    except BodyError as exc:
        assert 400 <= exc.status < 500
        return
    accounted = prepared.accepted + len(prepared.rejected) + sum(prepared.dropped.values())
    assert accounted == prepared.spans
    for line in (ln for _, data in prepared.parts.values() for ln in data.splitlines()):
        orjson.loads(line)  # every stored line is JSON


@FAST
@given(st.binary(min_size=1, max_size=64), st.integers(0, 4000))
def test_corrupted_protobuf_of_real_spans_is_refused_or_served(
    worker: None, real_body: bytes, noise: bytes, at: int
) -> None:
    at %= len(real_body)
    corrupted = real_body[:at] + noise + real_body[at + len(noise) :]
    try:
        prepared = _prepare(corrupted, PROTOBUF)
    except BodyError as exc:
        assert exc.status == 400
    else:
        assert prepared.spans >= 0


def test_a_real_request_decodes_the_same_from_protobuf_and_json(worker: None) -> None:
    readable = spans(CHAT, TOOL)
    from_protobuf = _prepare(protobuf_body(readable), PROTOBUF)
    from_json = _prepare(orjson.dumps(json_doc(readable)), JSON)
    assert from_protobuf.accepted == from_json.accepted == 2
    assert from_protobuf.parts.keys() == from_json.parts.keys()
