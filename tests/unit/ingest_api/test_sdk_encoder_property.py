"""Property test of the SDK's encoder against the API's contract: whatever a host application
puts in a span, `ollive_sdk.encode` writes a line the ingest API accepts.

`hypothesis` fills the raw dict a span or log record builds (names, previews, text, counts,
latencies, cost, metadata, tool calls) with arbitrary values — huge, negative, non-finite,
empty, non-string, unicode — and the line must validate against `ollive_contract` exactly as
the API's validation does (`intake/validation.py`).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ollive_sdk.encode import encode

from ingest_api.intake.body import RawEvent
from ingest_api.intake.validation import validate_events

text = st.text(max_size=40) | st.text(min_size=250, max_size=600)
anything = st.none() | st.booleans() | st.integers() | st.floats() | text
numbers = st.integers(-(2**70), 2**70) | st.floats() | st.integers(0, 10_000)
metadata = st.dictionaries(
    text | st.integers(), anything | st.lists(st.integers(), max_size=2), max_size=70
)
tool_calls = st.lists(
    st.fixed_dictionaries(
        {"name": text | st.none()}, optional={"id": text, "arguments_preview": anything}
    ),
    max_size=3,
)


@st.composite
def raw_events(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["inference", "tool_execution", "application"]))
    raw: dict[str, Any] = {
        "log_type": kind,
        "event_id": str(uuid.uuid4()),
        "started_at": draw(st.floats(0, 4e9) | st.just(time.time())),
        "service": draw(text),
        "user_id": draw(st.none() | text | st.integers()),
        "conversation_id": draw(st.none() | text),
        "metadata": draw(metadata),
        "status": draw(st.sampled_from(["ok", "error", "cancelled", "timeout"])),
    }
    if kind == "inference":
        raw |= {
            "provider": draw(text),
            "model": draw(text),
            "input_preview": draw(anything),
            "output_preview": draw(anything),
            "input_tokens": draw(numbers | st.text(max_size=4)),
            "latency_ms": draw(numbers | st.just("fast")),
            "ttft_ms": draw(st.none() | numbers),
            "cost_usd": draw(numbers | st.booleans()),
            "tool_calls": draw(tool_calls),
        }
    elif kind == "tool_execution":
        raw |= {"tool_name": draw(text), "arguments_preview": draw(anything)}
    else:
        raw |= {
            "level": "info",
            "logger": draw(text),
            "message": draw(anything),
            "exception_stack": draw(st.none() | st.text(min_size=32_000, max_size=33_000)),
        }
    return raw


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw_events())
def test_what_the_sdk_encodes_the_api_accepts(raw: dict[str, Any]) -> None:
    line = encode(raw)
    validated = validate_events([RawEvent(None, line=line.rstrip(b"\n"))])
    assert validated.rejected == [], validated.rejected[0].reason
    (event,) = validated.events
    assert str(event.event_id) == raw["event_id"]
