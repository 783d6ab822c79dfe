"""HTTP surface: `POST /chat` (JSON), `POST /chat/stream` (SSE), `POST /chat/{id}/cancel`,
`GET /healthz`. Each turn runs as an asyncio task so a cancel or a disconnect can stop it."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import ollive_sdk
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from chatbot.backends import Backends
from chatbot.inflight import InFlight
from chatbot.service import ChatError, ChatRequest, ChatService, TurnResult
from chatbot.telemetry import attach_log_handler, detach_log_handler, init_sdk
from chatbot.tools import Toolbox
from ollive_contract.settings import ChatbotSettings

log = logging.getLogger("chatbot.app")
CANCELLED = 409  # the turn was cancelled by `POST /chat/{id}/cancel`


class ChatIn(BaseModel):
    message: str = Field(min_length=1, max_length=8000)
    conversation_id: str = Field(default_factory=lambda: str(uuid.uuid4()), max_length=256)
    user_id: str | None = Field(None, max_length=256)
    session_id: str | None = Field(None, max_length=256)
    model: str | None = Field(None, description="Overrides the configured model for this turn.")

    def to_request(self) -> ChatRequest:
        return ChatRequest(**self.model_dump())


class ChatOut(BaseModel):
    conversation_id: str
    text: str
    model: str
    finish_reason: str | None
    tool_calls: list[dict[str, Any]]
    model_calls: int


def create_app(
    settings: ChatbotSettings | None = None, sdk: ollive_sdk.Client | None = None
) -> FastAPI:
    """`sdk` defaults to the process-wide client made from `settings`."""
    settings = settings or ChatbotSettings()
    owns_sdk = sdk is None
    sdk = sdk or init_sdk(settings)
    inflight = InFlight()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        handler = attach_log_handler(sdk, settings.log_level)
        app.state.service = ChatService(
            settings, Backends(settings, sdk), Toolbox(sdk, settings.time_scale), sdk
        )
        log.info("chatbot ready", extra={"offline": settings.offline, "model": settings.model})
        try:
            yield
        finally:
            await app.state.service.backends.aclose()
            detach_log_handler(handler)
            sdk.flush(5.0) if not owns_sdk else sdk.shutdown(5.0)

    app = FastAPI(title="Ollive reference chatbot", lifespan=lifespan)

    def start(request: Request, body: ChatIn, stream: bool, on_event: Any = None) -> asyncio.Task:
        service: ChatService = request.app.state.service
        task = asyncio.create_task(service.turn(body.to_request(), stream, on_event))
        inflight.add(body.conversation_id, task)
        return task

    @app.post("/chat", response_model=ChatOut)
    async def chat(body: ChatIn, request: Request) -> Any:
        task = start(request, body, stream=False)
        while not task.done():
            await asyncio.wait({task}, timeout=0.25)
            if not task.done() and await request.is_disconnected():
                task.cancel()  # nobody is waiting for the answer any more
        try:
            result: TurnResult = task.result()
        except asyncio.CancelledError:
            return JSONResponse({"conversation_id": body.conversation_id,
                                 "status": "cancelled"}, status_code=CANCELLED)  # fmt: skip
        except ChatError as e:
            return _error_response(body.conversation_id, e)
        return ChatOut(conversation_id=body.conversation_id, **_result_fields(result))

    @app.post("/chat/stream")
    async def chat_stream(body: ChatIn, request: Request) -> StreamingResponse:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        task = start(request, body, stream=True, on_event=queue.put_nowait)
        task.add_done_callback(lambda _: queue.put_nowait(None))
        return StreamingResponse(
            _sse(body.conversation_id, task, queue),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.post("/chat/{conversation_id}/cancel")
    async def cancel(conversation_id: str) -> dict[str, Any]:
        n = inflight.cancel(conversation_id)
        if not n:
            raise HTTPException(404, "no turn in flight for this conversation")
        return {"conversation_id": conversation_id, "cancelled": n}

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        mode = "offline" if settings.offline else "gemini"
        return {"status": "ok", "mode": mode, "in_flight": len(inflight)}

    return app


async def _sse(
    conversation_id: str, task: asyncio.Task, queue: asyncio.Queue[dict[str, Any] | None]
) -> AsyncIterator[str]:
    """Relay the turn's events; if the client goes away, this generator is closed and the
    `finally` cancels the turn."""
    try:
        yield _event("start", {"conversation_id": conversation_id})
        while (item := await queue.get()) is not None:
            yield _event(item["type"], item)
        try:
            result = task.result()
        except asyncio.CancelledError:
            yield _event("cancelled", {"conversation_id": conversation_id})
        except ChatError as e:
            yield _event("error", {"code": e.code, "status": e.status, "message": str(e)})
        else:
            yield _event("done", {"conversation_id": conversation_id, **_result_fields(result)})
    finally:
        if not task.done():
            task.cancel()


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def _result_fields(result: TurnResult) -> dict[str, Any]:
    return {"text": result.text, "model": result.model, "finish_reason": result.finish_reason,
            "tool_calls": result.tool_calls, "model_calls": result.model_calls}  # fmt: skip


def _error_response(conversation_id: str, e: ChatError) -> JSONResponse:
    """The provider's quota refusal passes through as 429; anything else is a bad gateway."""
    status = 429 if e.code == 429 else 502
    body = {"conversation_id": conversation_id, "status": "error", "error": e.status,
            "message": str(e)}  # fmt: skip
    return JSONResponse(body, status_code=status)
