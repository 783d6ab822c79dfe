"""What the SDK emits validates against what the API accepts: the pydantic contract and the
committed JSON Schema, for every kind of event, and never a server-set field."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, get_args

import jsonschema
import pytest
from ollive_sdk import Client, _limits
from ollive_sdk.encode import encode
from ollive_sdk.masking import regex_mask

from ollive_contract import events as contract
from ollive_contract.json_schema import SCHEMA_PATH
from tests.fixtures.fake_ingest import FakeIngest
from tests.fixtures.sdk_events import emit_every_kind

VALIDATOR = jsonschema.Draft202012Validator(
    json.loads(SCHEMA_PATH.read_text()), format_checker=jsonschema.FormatChecker()
)


@pytest.fixture
def recorded() -> Iterator[tuple[Client, list[dict[str, Any]]]]:
    client = Client(environ={}, endpoint="http://127.0.0.1:9", api_key="k", service="contract",
                    environment="test")  # fmt: skip
    events: list[dict[str, Any]] = []
    client._emit = events.append  # type: ignore[method-assign]
    yield client, events
    client.shutdown(0.1)


def wire_events(client: Client, events: list[dict[str, Any]], mask: Any = None) -> list[dict]:
    emit_every_kind(client)
    return [json.loads(encode(e, mask)) for e in events]


def test_every_event_kind_validates_against_the_contract(recorded):
    client, events = recorded
    wired = wire_events(client, events)
    kinds = {(e["log_type"], e.get("status"), e.get("stream")) for e in wired}
    assert {"inference", "tool_execution", "application", "score"} == {k[0] for k in kinds}
    assert {"ok", "error", "timeout", "cancelled"} <= {k[1] for k in kinds}
    for event in wired:
        contract.EVENT_ADAPTER.validate_python(event)
        errors = [e.message for e in VALIDATOR.iter_errors(event)]
        assert not errors, (event["log_type"], errors)
        assert not contract.SERVER_FIELDS & set(event)


def test_masked_events_still_validate_and_carry_no_server_fields(recorded):
    client, events = recorded

    def hostile(event: dict[str, Any]) -> dict[str, Any]:
        event = regex_mask([r"\d+"])(event)
        return {**event, "project_id": "p", "received_at": "2020-01-01T00:00:00Z",
                "pii_detected": False, "pii_entities": [], "schema_version": 9}  # fmt: skip

    for event in wire_events(client, events, hostile):
        contract.EVENT_ADAPTER.validate_python(event)
        assert VALIDATOR.is_valid(event) is not False
        assert not contract.SERVER_FIELDS & set(event)


def test_events_as_they_arrive_over_the_wire_validate():
    server = FakeIngest().start()
    client = Client(environ={}, endpoint=server.url, api_key="k", service="contract")
    try:
        emit_every_kind(client)
        assert client.flush(5)
        received = [e for r in server.requests for e in r.events]
        assert len(received) == client.stats().sent > 10
        for event in received:
            contract.EVENT_ADAPTER.validate_python(event)
            assert VALIDATOR.is_valid(event)
    finally:
        client.shutdown(1)
        server.stop()


def test_the_sdk_mirrors_the_contract_limits():
    assert _limits.SCHEMA_VERSION == contract.SCHEMA_VERSION
    assert _limits.PREVIEW_MAX_CHARS == contract.PREVIEW_MAX_CHARS
    assert _limits.TEXT_MAX_CHARS == contract.TEXT_MAX_CHARS
    assert _limits.ID_MAX_CHARS == contract.ID_MAX_CHARS
    assert _limits.SERVER_FIELDS == contract.SERVER_FIELDS
    assert set(_limits.SCORE_AUTHOR_KINDS) == set(get_args(contract.AuthorKind))
    metadata = contract.InferenceEvent.model_json_schema()["properties"]["metadata"]
    assert metadata["maxProperties"] == _limits.METADATA_MAX_ITEMS
    calls = contract.InferenceEvent.model_json_schema()["properties"]["tool_calls"]
    assert calls["maxItems"] == _limits.TOOL_CALLS_MAX_ITEMS


def test_the_sdk_never_imports_the_server_package():
    code = (
        "import sys, ollive_sdk, ollive_sdk.integrations.google_genai; "
        "sys.exit(any(m == 'ollive' or m.startswith('ollive.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_schema_check_has_teeth():
    bad = {"event_id": "not-a-uuid", "log_type": "inference", "service": "s",
           "started_at": "2024-01-01T00:00:00Z", "provider": "p"}  # fmt: skip
    assert not VALIDATOR.is_valid(bad)
