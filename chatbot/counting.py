"""An SDK client wrapper that counts and remembers the events made through it.

A load run must say exactly what it emitted (the demo waits for the rollup to count its
inferences), and the inference spans are opened inside the google-genai integration, out of
reach. Passing this wrapper as the integration's, the tools' and the log handler's client sees
every span as it is opened, sampled-out ones excepted.
"""

from __future__ import annotations

import threading
from typing import Any

import ollive_sdk


class CountingClient:
    """Delegates to `client`; `inference_ids`, `tool_ids` and `logs` say what went out."""

    def __init__(self, client: ollive_sdk.Client) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.inference_ids: list[str] = []
        self.tool_ids: list[str] = []
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

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _note(self, ids: list[str], event_id: str | None) -> None:
        if event_id is not None:
            with self._lock:
                ids.append(event_id)
