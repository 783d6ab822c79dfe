"""One chat turn: the model, the tools it asks for, the model again, until it answers in text.

Every model call goes through the instrumented `google.genai` client, so each attempt is one
inference event; tools are traced by the toolbox; ids ride on `ollive_sdk.context`. A turn is a
plain coroutine that reports progress through a callback: the HTTP layer runs it as a task, which
is what makes cancel (a disconnect or `POST /chat/{id}/cancel`) a `task.cancel()` away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import ollive_sdk
from google import genai
from google.genai import errors, types

from chatbot.history import History
from chatbot.tools import TOOLS, Toolbox
from ollive_contract.settings import ChatbotSettings

log = logging.getLogger("chatbot.service")
OnEvent = Callable[[dict[str, Any]], None]
RETRYABLE = frozenset({429, 500, 502, 503, 504})


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
    failed_calls: int = 0  # model calls Gemini refused (429/5xx), retried or not
    tool_calls: int = 0
    errors: int = 0
    cancelled: int = 0


class ChatError(Exception):
    """The model could not answer (after retries); `code` is Gemini's HTTP status."""

    def __init__(self, code: int, status: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class ChatService:
    def __init__(
        self,
        settings: ChatbotSettings,
        genai_client: genai.Client,
        toolbox: Toolbox,
        history: History | None = None,
    ) -> None:
        self.settings = settings
        self.genai = genai_client
        self.toolbox = toolbox
        self.history = history or History()
        self.counters = Counters()

    async def turn(
        self, request: ChatRequest, stream: bool = False, on_event: OnEvent | None = None
    ) -> TurnResult:
        """Answer one message; raises ChatError, or CancelledError when cancelled."""
        emit = on_event or (lambda _: None)
        with ollive_sdk.context(
            conversation_id=request.conversation_id,
            user_id=request.user_id,
            session_id=request.session_id,
        ):
            self.counters.turns += 1
            t0 = time.perf_counter()
            try:
                result = await self._turn(request, stream, emit)
            except asyncio.CancelledError:
                self.counters.cancelled += 1
                log.warning("turn cancelled", extra={"stream": stream})
                raise
            except ChatError as e:
                self.counters.errors += 1
                log.error("turn failed: %s", e.status, extra={"error.code": e.code})
                raise
            log.info(
                "turn answered",
                extra={"model_calls": result.model_calls, "tool_calls": len(result.tool_calls),
                       "stream": stream, "turn_ms": round((time.perf_counter() - t0) * 1000)},
            )  # fmt: skip
            return result

    async def _turn(self, request: ChatRequest, stream: bool, emit: OnEvent) -> TurnResult:
        model = request.model or self.settings.model
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
        config = types.GenerateContentConfig(
            system_instruction=self.settings.system_instruction,
            tools=TOOLS if offer_tools else None,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        for attempt in range(self.settings.retries + 1):
            result.model_calls += 1
            self.counters.model_calls += 1
            try:
                if stream:
                    return await self._stream(model, contents, config, emit)
                response = await self.genai.aio.models.generate_content(
                    model=model, contents=contents, config=config
                )
                return _parts_and_finish([response], emit)
            except errors.APIError as e:
                self.counters.failed_calls += 1
                if e.code not in RETRYABLE or attempt == self.settings.retries:
                    raise ChatError(e.code, e.status, e.message or str(e)) from e
                log.warning("model call refused (%s), retrying", e.status,
                            extra={"error.code": e.code, "attempt": attempt + 1})  # fmt: skip
                emit({"type": "retry", "attempt": attempt + 1, "code": e.code})
                await asyncio.sleep(self.settings.retry_backoff_s * self.settings.time_scale)
        raise AssertionError("unreachable")

    async def _stream(
        self,
        model: str,
        contents: list[types.Content],
        config: types.GenerateContentConfig,
        emit: OnEvent,
    ) -> tuple[list[types.Part], str | None]:
        chunks = []
        iterator = await self.genai.aio.models.generate_content_stream(
            model=model, contents=contents, config=config
        )
        # aclosing: a cancel that lands between chunks still closes the stream, so its
        # inference event is recorded now (as cancelled), not whenever it is collected
        async with aclosing(iterator) as responses:
            async for chunk in responses:
                chunks.append(chunk)
                for part in _candidate_parts(chunk):
                    if part.text and not part.thought:
                        emit({"type": "text", "text": part.text})
        return _parts_and_finish(chunks, None)

    async def _call_tool(
        self, call: types.FunctionCall, emit: OnEvent, result: TurnResult
    ) -> types.Part:
        name, args = call.name or "unknown", dict(call.args or {})
        emit({"type": "tool_call", "name": name, "args": args, "id": call.id})
        result.tool_calls.append({"name": name, "args": args, "id": call.id})
        self.counters.tool_calls += 1
        try:
            output = await self.toolbox.call(name, args)
        except Exception as e:  # the model hears about a failed tool and can say so
            log.exception("tool %s failed", name)
            output = {"error": type(e).__name__}
        emit({"type": "tool_result", "name": name, "result": output})
        return types.Part(
            function_response=types.FunctionResponse(name=name, id=call.id, response=output)
        )


def _candidate_parts(response: types.GenerateContentResponse) -> list[types.Part]:
    candidates = response.candidates or []
    content = candidates[0].content if candidates else None
    return list(content.parts or []) if content is not None else []


def _parts_and_finish(
    responses: list[types.GenerateContentResponse], emit: OnEvent | None
) -> tuple[list[types.Part], str | None]:
    """The parts to keep in history (thought signatures included) and the finish reason."""
    parts: list[types.Part] = []
    finish = None
    for response in responses:
        parts.extend(_candidate_parts(response))
        for candidate in response.candidates or []:
            if candidate.finish_reason is not None:
                finish = str(candidate.finish_reason.value).lower()
    if emit is not None:
        text = "".join(p.text or "" for p in parts if not p.thought)
        if text:
            emit({"type": "text", "text": text})
    return parts, finish
