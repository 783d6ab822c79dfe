"""An SDK client wrapper that counts and remembers the events made through it.

A load run must say exactly what it emitted (the demo waits for the facts to count its
events), and the inference spans are opened inside the SDK's model-client integrations, out of
reach. Passing this wrapper as the integrations', the tools', the log handler's and the chat
service's client sees every span as it is opened, sampled-out ones excepted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ollive_sdk


class CountingClient:
    """Delegates to `client`; `inference_ids`, `tool_ids` and `logs` say what went out.

    `logs` counts every `application` event: log records and `trace()`/`span()` blocks (whose
    ids are also in `block_ids`)."""

    def __init__(self, client: ollive_sdk.Client) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.inference_ids: list[str] = []
        self.tool_ids: list[str] = []
        self.block_ids: list[str] = []
        self.logs = 0

    def inference(self, **kwargs: Any) -> ollive_sdk.InferenceSpan:
        span = self._client.inference(**kwargs)
        self._note(self.inference_ids, span.event_id)
        return span

    def tool(self, name: str, **kwargs: Any) -> ollive_sdk.ToolSpan:
        span = self._client.tool(name, **kwargs)
        self._note(self.tool_ids, span.event_id)
        return span

    def log(self, level: str, message: str, **kwargs: Any) -> None:
        if self._client.enabled:
            with self._lock:
                self.logs += 1
        self._client.log(level, message, **kwargs)

    @contextmanager
    def trace(self, name: str, **kwargs: Any) -> Iterator[ollive_sdk.BlockSpan]:
        """`client.trace(name, ...)` as a `with` block (the decorator form is not counted)."""
        with self._client.trace(name, **kwargs) as span:
            self._block(span)
            yield span

    @contextmanager
    def span(self, name: str, **kwargs: Any) -> Iterator[ollive_sdk.BlockSpan]:
        """`client.span(name, ...)` as a `with` block (the decorator form is not counted)."""
        with self._client.span(name, **kwargs) as span:
            self._block(span)
            yield span

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _block(self, span: ollive_sdk.BlockSpan) -> None:
        if span.event_id is not None:
            with self._lock:
                self.block_ids.append(span.event_id)
                self.logs += 1

    def _note(self, ids: list[str], event_id: str | None) -> None:
        if event_id is not None:
            with self._lock:
                ids.append(event_id)
