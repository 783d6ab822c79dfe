"""Fixtures of the SDK tests: a misbehaving ingest stand-in and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ollive_sdk import Client, TransportConfig

from tests.sdk.fake_ingest import FakeIngest

API_KEY = "olk_test_key"


@pytest.fixture
def fake_ingest() -> Iterator[FakeIngest]:
    server = FakeIngest().start()
    yield server
    server.stop()


@pytest.fixture
def make_client() -> Iterator[Callable[..., Client]]:
    """Clients with fast test timings, shut down after the test."""
    made: list[Client] = []

    def make(endpoint: str, **options: Any) -> Client:
        transport = {
            "flush_interval_s": 0.05,
            "backoff_base_s": 0.02,
            "backoff_cap_s": 0.2,
            "shutdown_timeout_s": 2.0,
        }
        transport.update(options.pop("transport", {}))
        options.setdefault("request_timeout_s", 2.0)
        client = Client(
            environ={},
            endpoint=endpoint,
            api_key=API_KEY,
            service="sdk-tests",
            transport=TransportConfig(**transport),
            **options,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.shutdown(1.0)


@pytest.fixture
def recording_client() -> Iterator[tuple[Client, list[dict[str, Any]]]]:
    """A client whose events land in a list instead of the transport (span unit tests)."""
    client = Client(environ={}, endpoint="http://127.0.0.1:9", api_key=API_KEY, service="unit")
    events: list[dict[str, Any]] = []
    client._emit = events.append  # type: ignore[method-assign]
    yield client, events
    client.shutdown(0.1)
