"""`client.score(...)`: feedback events with a typed value and a target, never sampled out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ollive_sdk import Client
from ollive_sdk.encode import encode

from ollive_contract import events as contract


@pytest.fixture
def client() -> Iterator[Client]:
    # a rate so low that every trace is dropped: scores must still go out
    c = Client(environ={}, endpoint="http://127.0.0.1:9", api_key="k", service="s",
               sample_rate=1e-9)  # fmt: skip
    c.events: list[dict[str, Any]] = []  # type: ignore[attr-defined]
    c._emit = c.events.append  # type: ignore[method-assign,attr-defined]
    yield c
    c.shutdown(0.1)


def stored(client: Client) -> list[contract.ScoreEvent]:
    import json

    return [
        contract.EVENT_ADAPTER.validate_python(json.loads(encode(e)))
        for e in client.events  # type: ignore[attr-defined]
    ]


def test_each_value_type_is_kept_with_its_target_whatever_the_sampling(client: Client) -> None:
    with client.inference(provider="p", model="m"):
        pass  # sampled out
    client.score("thumbs", False, trace_id="t1", comment="too slow")
    client.score("helpfulness", 3, event_id="01940000-0000-7000-8000-000000000001")
    client.score("topic", "billing", conversation_id="c1", author_kind="model")
    scores = stored(client)
    assert [(s.data_type, s.numeric_value, s.string_value) for s in scores] == [
        ("boolean", 0.0, "false"),
        ("numeric", 3.0, None),
        ("categorical", None, "billing"),
    ]
    assert [s.sample_rate for s in scores] == [1.0, 1.0, 1.0]
    assert scores[0].target_trace_id == "t1" and scores[0].comment == "too slow"
    assert str(scores[1].target_event_id) == "01940000-0000-7000-8000-000000000001"
    assert scores[2].target_conversation_id == "c1" and scores[2].author_kind == "model"
    assert client.stats().sampled_out == 1


def test_a_score_without_target_or_with_a_bad_value_is_dropped(client: Client) -> None:
    client.score("thumbs", True)
    client.score("latency", float("nan"), trace_id="t1")
    client.score("label", "", trace_id="t1")
    client.score("label", None, trace_id="t1")  # type: ignore[arg-type]
    assert client.events == []  # type: ignore[attr-defined]
