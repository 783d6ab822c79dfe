"""Property tests of the intake parsers: any bytes in, a 4xx `BodyError` or a result out.

`hypothesis` drives the body limits, streaming gunzip, JSON/NDJSON splitting, per-event
validation and the whole worker step (`prepare`) with arbitrary and near-valid input. What must
hold for every input: no exception but `BodyError` with a 4xx status, every event accounted for
(kept or rejected with its index), reasons that never echo a value, user ids pseudonymised.
Example counts are bounded (`max_examples`) so the file runs in seconds.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_api.intake import prepare
from ingest_api.intake.body import (
    JSON_TYPES,
    NDJSON_TYPES,
    BodyError,
    RawEvent,
    decode,
    gunzip_limited,
    parse_events,
    read_limited,
)
from ingest_api.intake.pseudonyms import Pseudonymiser
from ingest_api.intake.validation import validate_events

FAST = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
MEDIA = [*sorted(JSON_TYPES | NDJSON_TYPES), "text/plain", "", "application/json; charset=utf-8"]
KEY = Pseudonymiser("p1", "property-test-key")
MARKER = "Zq7-secret-value"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _event(**fields: Any) -> dict[str, Any]:
    return {
        "log_type": "application",
        "event_id": str(uuid.uuid4()),
        "started_at": "2026-01-05T11:00:00Z",
        "service": "svc",
        "level": "info",
        "message": "ok",
        **fields,
    }


# near-valid events: a valid one with one field replaced by anything
near_valid = st.builds(
    lambda name, value: _event(**{name: value}),
    st.sampled_from(
        ["log_type", "event_id", "started_at", "service", "level", "message", "user_id", "metadata"]
    ),
    json_values,
)


@FAST
@given(st.binary(max_size=2048), st.sampled_from(MEDIA), st.integers(1, 50))
def test_any_bytes_parse_or_refuse_with_a_4xx(body: bytes, media: str, max_events: int) -> None:
    try:
        items = parse_events(body, media, max_events)
    except BodyError as exc:
        assert 400 <= exc.status < 500
    else:
        assert 0 < len(items) <= max_events


@FAST
@given(st.binary(max_size=4096), st.integers(0, 8192))
def test_gzip_round_trips_within_its_limit_and_refuses_past_it(data: bytes, limit: int) -> None:
    packed = gzip.compress(data)
    if len(data) <= limit:
        assert gunzip_limited(packed, limit) == data
        # several members inflate to their concatenation
        assert gunzip_limited(packed + packed, 2 * len(data)) == data + data
    else:
        with pytest.raises(BodyError) as err:
            gunzip_limited(packed, limit)
        assert (err.value.status, err.value.code) == (413, "decompressed_too_large")


@FAST
@given(
    st.binary(max_size=512), st.sampled_from(["gzip", "x-gzip", "identity", None, "br", "GZIP "])
)
def test_any_encoded_body_decodes_or_refuses_with_a_4xx(body: bytes, encoding: str | None) -> None:
    try:
        decode(body, encoding, 10_000)
    except BodyError as exc:
        assert exc.status in (400, 413, 415)


@FAST
@given(st.lists(st.binary(max_size=300), max_size=20), st.integers(0, 3000))
def test_read_limited_stops_at_the_limit(chunks: list[bytes], limit: int) -> None:
    async def stream():
        for chunk in chunks:
            yield chunk

    total = sum(map(len, chunks))
    if total <= limit:
        assert asyncio.run(read_limited(stream(), limit)) == b"".join(chunks)
    else:
        with pytest.raises(BodyError) as err:
            asyncio.run(read_limited(stream(), limit))
        assert err.value.status == 413


@FAST
@given(st.lists(near_valid | json_values, min_size=1, max_size=12), st.booleans())
def test_every_event_is_kept_or_rejected_once_with_a_value_free_reason(
    items: list[Any], as_ndjson: bool
) -> None:
    raw = (
        [
            RawEvent(None, line=orjson.dumps(_marked(i), option=orjson.OPT_NON_STR_KEYS))
            for i in items
        ]
        if as_ndjson
        else [RawEvent(_marked(i)) for i in items]
    )
    validated = validate_events(raw)
    indices = [r.index for r in validated.rejected]
    assert len(validated.events) + len(indices) == len(items)
    assert indices == sorted(set(indices))
    for rejection in validated.rejected:
        assert MARKER not in rejection.reason


def _marked(item: Any) -> Any:
    """The item with a value that must never appear in a reason."""
    if isinstance(item, dict) and "metadata" not in item:
        return {**item, "metadata": {"k": MARKER, MARKER: 1}}
    return item


@pytest.fixture(scope="module")
def worker() -> None:
    prepare.init(
        prepare.PrepareConfig(
            max_decompressed_bytes=64 * 1024,
            max_events_per_request=20,
            pii_enabled=False,
            pii_entities=(),
            pii_ner_entities=(),
            pii_spacy_model=None,
            pii_fast_path=True,
            pii_cache_size=10,
            pseudonymiser=KEY,
        )
    )


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(near_valid, min_size=1, max_size=8),
    st.sampled_from([*sorted(NDJSON_TYPES), "application/json"]),
    st.booleans(),
    st.text(min_size=1, max_size=40),
)
def test_the_worker_step_serves_any_batch_and_never_stores_a_raw_user_id(
    worker: None, events: list[dict], media: str, gzipped: bool, user_id: str
) -> None:
    for event in events:
        event.setdefault("user_id", user_id)
    body = (
        b"\n".join(orjson.dumps(e, option=orjson.OPT_NON_STR_KEYS) for e in events)
        if media != "application/json"
        else orjson.dumps(events, option=orjson.OPT_NON_STR_KEYS)
    )
    try:
        prepared = prepare.prepare(
            gzip.compress(body) if gzipped else body,
            "gzip" if gzipped else None,
            media,
            datetime(2026, 1, 5, tzinfo=UTC),
            "demo",
        )
    except BodyError as exc:
        assert 400 <= exc.status < 500
        return
    # each part: its count, and that many newline-terminated lines
    for count, data in prepared.parts.values():
        assert data.endswith(b"\n") and data.count(b"\n") == count
    stored = [json.loads(line) for _, data in prepared.parts.values() for line in data.splitlines()]
    assert len(stored) + len(prepared.rejected) == len(events)
    for record in stored:
        value = record.get("user_id")
        if value is not None:
            assert value.startswith("p1:") and len(value) == 3 + 64
    sent = {e["user_id"] for e in events if isinstance(e.get("user_id"), str)}
    if isinstance(user_id, str) and any(r.get("user_id") for r in stored):
        assert {r["user_id"] for r in stored if r.get("user_id")} <= {
            KEY.pseudonym(u) for u in sent
        }
