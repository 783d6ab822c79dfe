"""Chatbot fixtures: an SDK client shipping to a local ingest stand-in, and fast settings.

Events are captured on the wire (the SDK's real transport, encoder and HTTP sender), so what the
tests check is what the ingest API would receive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import ollive_sdk
import pytest

from ollive_contract.settings import ChatbotSettings
from tests.sdk.fake_ingest import FakeIngest


def fast_settings(**overrides: Any) -> ChatbotSettings:
    """Offline, ten times faster than life, no errors unless asked, no `.env` or environment."""
    values: dict[str, Any] = {"time_scale": 0.1, "error_rate": 0.0, "retry_backoff_s": 0.0}
    values.update(overrides)
    return ChatbotSettings.model_construct(**values)


@pytest.fixture
def sink() -> Iterator[FakeIngest]:
    server = FakeIngest().start()
    yield server
    server.stop()


@pytest.fixture
def sdk(sink: FakeIngest) -> Iterator[ollive_sdk.Client]:
    client = ollive_sdk.Client(
        environ={}, endpoint=sink.url, api_key="olk_test", service="chatbot-tests",
        transport=ollive_sdk.TransportConfig(flush_interval_s=0.05),
    )  # fmt: skip
    yield client
    client.shutdown(2.0)


@pytest.fixture
def captured(sdk: ollive_sdk.Client, sink: FakeIngest) -> Callable[..., list[dict[str, Any]]]:
    """Flush, then every event the sink received so far, optionally of one log type."""

    def events(log_type: str | None = None) -> list[dict[str, Any]]:
        assert sdk.flush(5.0)
        with sink.lock:
            seen = [e for r in sink.requests for e in r.events]
        return [e for e in seen if log_type is None or e["log_type"] == log_type]

    return events
