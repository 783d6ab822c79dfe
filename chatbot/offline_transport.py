"""An httpx transport that serves the offline responder in place of Gemini's REST API.

Why here: `google.genai.types.HttpOptions(httpx_client=..., httpx_async_client=...)` is the
library's public extension point for its HTTP layer. Plugging the fake in below it means the
real client code runs unchanged: request serialisation, URL building, SSE decoding, the
`APIError` mapping of 429/500 bodies, and parsing into genuine `GenerateContentResponse`
objects, which is what the SDK integration reads. No base URL, monkey-patch or private method
is involved, and the same client with a key and no transport talks to Gemini.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator

import httpx

from chatbot.responder import Chunk, OfflineResponder, Reply

_ROUTE = re.compile(r"/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$")
_SSE = {"content-type": "text/event-stream"}


class OfflineTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sync and async: the same responder behind `httpx.Client` and `httpx.AsyncClient`."""

    def __init__(self, responder: OfflineResponder) -> None:
        self.responder = responder

    def _reply(self, request: httpx.Request) -> tuple[Reply, bool] | httpx.Response:
        match = _ROUTE.search(request.url.path)
        if match is None or request.method != "POST":
            body = {"error": {"code": 404, "message": "Not offline.", "status": "NOT_FOUND"}}
            return httpx.Response(404, json=body)
        stream = match["method"] == "streamGenerateContent"
        body = json.loads(request.read() or b"{}")
        return self.responder.respond(match["model"], body, stream), stream

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        planned = self._reply(request)
        if isinstance(planned, httpx.Response):
            return planned
        reply, stream = planned
        if stream and reply.status == 200:
            return httpx.Response(200, headers=_SSE, stream=_SyncSSE(reply.chunks))
        time.sleep(sum(c.delay_s for c in reply.chunks))
        return httpx.Response(reply.status, json=reply.chunks[-1].body)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        planned = self._reply(request)
        if isinstance(planned, httpx.Response):
            return planned
        reply, stream = planned
        if stream and reply.status == 200:
            return httpx.Response(200, headers=_SSE, stream=_AsyncSSE(reply.chunks))
        await asyncio.sleep(sum(c.delay_s for c in reply.chunks))
        return httpx.Response(reply.status, json=reply.chunks[-1].body)


def _event(chunk: Chunk) -> bytes:
    return f"data: {json.dumps(chunk.body, ensure_ascii=False)}\r\n\r\n".encode()


class _SyncSSE(httpx.SyncByteStream):
    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            time.sleep(chunk.delay_s)
            yield _event(chunk)


class _AsyncSSE(httpx.AsyncByteStream):
    """Sleeps between events, so a cancelled consumer is cancelled mid-generation, as live."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            await asyncio.sleep(chunk.delay_s)
            yield _event(chunk)
