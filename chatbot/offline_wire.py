"""An httpx2 transport that serves a provider's API from the offline responder, for the `openai`
and `anthropic` clients (built on httpx2, and taking it as `http_client=`: their public hook).

As with Gemini (`offline_transport.py`), everything above the transport is the real library:
request building, SSE decoding, the mapping of 429/5xx bodies to its exceptions, and genuine
response objects for the SDK integration to read. A `Wire` turns a request body into what the
provider's API would send back, in its own formats; this module only times and carries it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import httpx2

_SSE = {"content-type": "text/event-stream"}


@dataclass(frozen=True)
class Served:
    """The status and, each after its delay, the bodies of one answer: a JSON body, or the
    data of a stream's server-sent events."""

    status: int
    events: list[tuple[float, bytes]]
    stream: bool = False
    headers: dict[str, str] | None = None


class Wire(Protocol):
    def serve(self, path: str, body: dict[str, Any]) -> Served | None:
        """What the API answers a POST to `path`; None for a path it does not serve."""
        ...


def sse(event: dict[str, Any], name: str | None = None) -> bytes:
    """One server-sent event; `name` fills its `event:` line (Anthropic names them)."""
    data = json.dumps(event, ensure_ascii=False)
    return (f"event: {name}\n" if name else "").encode() + f"data: {data}\n\n".encode()


class WireTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Sync and async: the same wire behind `httpx2.Client` and `httpx2.AsyncClient`."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire

    def _served(self, request: httpx2.Request) -> Served | httpx2.Response:
        body = json.loads(request.read() or b"{}") if request.method == "POST" else None
        served = self.wire.serve(request.url.path, body) if body is not None else None
        if served is None:
            return httpx2.Response(404, json={"error": {"message": "Not offline."}})
        return served

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        served = self._served(request)
        if isinstance(served, httpx2.Response):
            return served
        if served.stream:
            return httpx2.Response(
                served.status,
                headers={**_SSE, **(served.headers or {})},
                stream=_SyncEvents(served.events),
            )
        time.sleep(sum(delay for delay, _ in served.events))
        return _whole(served)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        served = self._served(request)
        if isinstance(served, httpx2.Response):
            return served
        if served.stream:
            return httpx2.Response(
                served.status,
                headers={**_SSE, **(served.headers or {})},
                stream=_AsyncEvents(served.events),
            )
        await asyncio.sleep(sum(delay for delay, _ in served.events))
        return _whole(served)


def _whole(served: Served) -> httpx2.Response:
    headers = {"content-type": "application/json", **(served.headers or {})}
    return httpx2.Response(served.status, headers=headers, content=served.events[-1][1])


class _SyncEvents(httpx2.SyncByteStream):
    def __init__(self, events: list[tuple[float, bytes]]) -> None:
        self.events = events

    def __iter__(self) -> Iterator[bytes]:
        for delay, data in self.events:
            time.sleep(delay)
            yield data


class _AsyncEvents(httpx2.AsyncByteStream):
    """Sleeps between events, so a cancelled consumer is cancelled mid-generation, as live."""

    def __init__(self, events: list[tuple[float, bytes]]) -> None:
        self.events = events

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for delay, data in self.events:
            await asyncio.sleep(delay)
            yield data
