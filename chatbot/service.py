"""One chat turn: the model, the tools it asks for, the model again, until it answers in text.

A turn is one trace: an SDK `trace()` block around it is the parent of every event it makes.
Each model call goes through the provider's instrumented client (`backends.py`), so each attempt
is one inference event; tools are traced by the toolbox and carry the model's function-call id as
`tool_call_id`; conversation ids ride on `ollive_sdk.context`. A turn is a plain coroutine that
reports progress through a callback: the HTTP layer runs it as a task, which is what makes cancel
(a disconnect or `POST /chat/{id}/cancel`) a `task.cancel()` away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ollive_sdk
from google.genai import types

from chatbot.backends import Backends, ModelError
from chatbot.history import History
from chatbot.tools import Toolbox
from ollive_contract.settings import ChatbotSettings

log = logging.getLogger("chatbot.service")
OnEvent = Callable[[dict[str, Any]], None]
RETRYABLE = frozenset({429, 500, 502, 503, 504, 529})  # 529: Anthropic's overloaded_error
TURN_SPAN = "chat turn"


@dataclass(frozen=True)
class ChatRequest:
    """What a user sent, and who they are (ids become every event's context)."""

    conversation_id: str
    message: str
    user_id: str | None = None
    session_id: str | None = None
    model: str | None = None


@dataclass
class TurnResult:
    text: str
    model: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    model_calls: int = 0
    finish_reason: str | None = None


@dataclass
class Counters:
    """Totals since start: what a load run reports, and how many inference events were made."""

    turns: int = 0
    model_calls: int = 0
    failed_calls: int = 0  # model calls the provider refused (429/5xx), retried or not
    tool_calls: int = 0
    errors: int = 0
    cancelled: int = 0


class ChatError(Exception):
    """The model could not answer (after retries); `code` is the provider's HTTP status."""

    def __init__(self, code: int, status: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class ChatService:
    def __init__(
        self,
        settings: ChatbotSettings,
        backends: Backends,
        toolbox: Toolbox,
        sdk: ollive_sdk.Client | None = None,
        history: History | None = None,
    ) -> None:
        """`sdk` records the turn's trace; the toolbox and backends should use the same one."""
        self.settings = settings
        self.backends = backends
        self.toolbox = toolbox
        self.sdk = sdk or ollive_sdk.get_client()
        self.history = history or History()
        self.counters = Counters()

    async def turn(
        self, request: ChatRequest, stream: bool = False, on_event: OnEvent | None = None
    ) -> TurnResult:
        """Answer one message; raises ChatError, or CancelledError when cancelled."""
        emit = on_event or (lambda _: None)
        model = request.model or self.settings.model
        with (
            ollive_sdk.context(
                conversation_id=request.conversation_id,
                user_id=request.user_id,
                session_id=request.session_id,
            ),
            self.sdk.trace(
                TURN_SPAN, kind="agent", metadata={"model": model, "stream": stream}
            ) as span,  # fmt: skip
        ):
            self.counters.turns += 1
            t0 = time.perf_counter()
            try:
                result = await self._turn(request, model, stream, emit)
            except asyncio.CancelledError:
                self.counters.cancelled += 1
                log.warning("turn cancelled", extra={"stream": stream})
                raise
            except ChatError as e:
                self.counters.errors += 1
                log.error("turn failed: %s", e.status, extra={"error.code": e.code})
                raise
            span.update_metadata(model_calls=result.model_calls,
                                 tool_calls=len(result.tool_calls))  # fmt: skip
            log.info(
                "turn answered",
                extra={"model_calls": result.model_calls, "tool_calls": len(result.tool_calls),
                       "stream": stream, "turn_ms": round((time.perf_counter() - t0) * 1000)},
            )  # fmt: skip
            return result

    async def _turn(
        self, request: ChatRequest, model: str, stream: bool, emit: OnEvent
    ) -> TurnResult:
        user = types.Content(role="user", parts=[types.Part(text=request.message)])
        contents = [*self.history.get(request.conversation_id), user]
        result = TurnResult(text="", model=model)
        for round_ in range(self.settings.max_tool_rounds + 1):
            offer_tools = round_ < self.settings.max_tool_rounds
            parts, finish = await self._generate(model, contents, stream, offer_tools, emit, result)
            contents.append(types.Content(role="model", parts=parts))
            calls = [p.function_call for p in parts if p.function_call is not None]
            if not calls:
                result.text = "".join(p.text or "" for p in parts if not p.thought)
                result.finish_reason = finish
                break
            replies = []
            for call in calls:
                replies.append(await self._call_tool(call, emit, result))
            contents.append(types.Content(role="user", parts=replies))
        self.history.commit(request.conversation_id, contents)
        return result

    async def _generate(
        self,
        model: str,
        contents: list[types.Content],
        stream: bool,
        offer_tools: bool,
        emit: OnEvent,
        result: TurnResult,
    ) -> tuple[list[types.Part], str | None]:
        """One model call, retried on 429/5xx: each attempt is its own inference event."""
        backend = self.backends.for_model(model)

        def on_text(text: str) -> None:
            emit({"type": "text", "text": text})

        for attempt in range(self.settings.retries + 1):
            result.model_calls += 1
            self.counters.model_calls += 1
            try:
                return await backend.generate(model, contents, offer_tools, stream, on_text)
            except ModelError as e:
                self.counters.failed_calls += 1
                if e.code not in RETRYABLE or attempt == self.settings.retries:
                    raise ChatError(e.code, e.status, str(e)) from e
                log.warning("model call refused (%s), retrying", e.status,
                            extra={"error.code": e.code, "attempt": attempt + 1})  # fmt: skip
                emit({"type": "retry", "attempt": attempt + 1, "code": e.code})
                await asyncio.sleep(self.settings.retry_backoff_s * self.settings.time_scale)
        raise AssertionError("unreachable")

    async def _call_tool(
        self, call: types.FunctionCall, emit: OnEvent, result: TurnResult
    ) -> types.Part:
        name, args = call.name or "unknown", dict(call.args or {})
        emit({"type": "tool_call", "name": name, "args": args, "id": call.id})
        result.tool_calls.append({"name": name, "args": args, "id": call.id})
        self.counters.tool_calls += 1
        try:
            with ollive_sdk.tool_call_id(call.id):  # the tool event answers this call
                output = await self.toolbox.call(name, args)
        except Exception as e:  # the model hears about a failed tool and can say so
            log.exception("tool %s failed", name)
            output = {"error": type(e).__name__}
        emit({"type": "tool_result", "name": name, "result": output})
        return types.Part(
            function_response=types.FunctionResponse(name=name, id=call.id, response=output)
        )
