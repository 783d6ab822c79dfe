"""Instruments a `google.genai.Client`: `models.generate_content`, `generate_content_stream` and
their `aio.models` twins each emit one inference event (streams with time to first chunk).

The wrappers are set on the client's own `Models` / `AsyncModels` instances, so other clients
and the library itself stay untouched, and `uninstrument_google_genai` restores them exactly.
Token counts follow OTel: input includes cached and tool-use prompt tokens; output includes
thinking tokens (Gemini's `candidates_token_count` excludes them, and bills them as output).
The function calls a response asks for are recorded with their ids, which the tool runs that
follow carry as `tool_call_id` (see `tool_calls.py`).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Iterator
from typing import Any

from ollive_sdk._log import warn_once
from ollive_sdk.client import Client, get_client
from ollive_sdk.spans import InferenceSpan

_METHODS = ("generate_content", "generate_content_stream")
_MARK = "__ollive_wrapped__"


def instrument_google_genai(genai_client: Any, client: Client | None = None) -> Any:
    """Instrument one `google.genai.Client` (idempotent); returns it for chaining."""
    try:
        provider = "gcp.vertex_ai" if getattr(genai_client, "vertexai", False) else "gcp.gemini"
        targets = ((genai_client.models, False), (genai_client.aio.models, True))
        for models, is_async in targets:
            for method in _METHODS:
                original = getattr(models, method)
                if getattr(original, _MARK, False):
                    continue
                wrap = _async_wrapper if is_async else _sync_wrapper
                wrapped = wrap(original, method.endswith("_stream"), provider, client)
                setattr(wrapped, _MARK, True)
                setattr(models, method, wrapped)
    except Exception as e:
        warn_once("genai", "ollive: could not instrument google-genai: %r", e)
    return genai_client


def uninstrument_google_genai(genai_client: Any) -> None:
    """Remove the wrappers, restoring the library's own methods."""
    for models in (genai_client.models, genai_client.aio.models):
        for method in _METHODS:
            if getattr(models.__dict__.get(method), _MARK, False):
                delattr(models, method)


def _open(client: Client | None, provider: str, kwargs: dict[str, Any], stream: bool):
    model = kwargs.get("model")
    span = (client or get_client()).inference(
        provider=provider, model=str(model or "unknown"), operation="chat", stream=stream
    )
    if span.recording and span.capture_previews:
        span.set_input(_input_text(kwargs.get("contents")))
    return span


def _sync_wrapper(original: Any, stream: bool, provider: str, client: Client | None) -> Any:
    if stream:

        @functools.wraps(original)
        def generate_stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            # Not `with span:`, which would leave the span current in the consumer's code
            # between chunks, and restore a stale one if the generator is closed late.
            span = _open(client, provider, kwargs, True).start()
            collector = _Collector(span)
            error: BaseException | None = None
            try:
                for chunk in original(*args, **kwargs):
                    collector.chunk(chunk)
                    yield chunk
            except BaseException as e:
                error = e
                _note_error(span, e)
                raise
            finally:  # a consumer that stops early still gets what was seen recorded
                collector.finish()
                span.end(error)

        return generate_stream

    @functools.wraps(original)
    def generate(*args: Any, **kwargs: Any) -> Any:
        with _open(client, provider, kwargs, False).start() as span:
            try:
                response = original(*args, **kwargs)
            except BaseException as e:
                _note_error(span, e)
                raise
            _Collector(span).response(response)
            return response

    return generate


def _async_wrapper(original: Any, stream: bool, provider: str, client: Client | None) -> Any:
    if stream:

        @functools.wraps(original)
        async def generate_stream(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            span = _open(client, provider, kwargs, True).start()
            try:
                iterator = await original(*args, **kwargs)
            except BaseException as e:
                _note_error(span, e)
                span.end(e)
                raise
            return _TracedAsyncStream(iterator, span)

        return generate_stream

    @functools.wraps(original)
    async def generate(*args: Any, **kwargs: Any) -> Any:
        with _open(client, provider, kwargs, False).start() as span:
            try:
                response = await original(*args, **kwargs)
            except BaseException as e:
                _note_error(span, e)
                raise
            _Collector(span).response(response)
            return response

    return generate


class _TracedAsyncStream:
    """The async stream handed back to the caller; its span ends however the caller leaves it.

    An async generator would not do: the request is already answered when
    `generate_content_stream` returns, but a generator that is closed or dropped before its first
    iteration runs none of its body, and the call would leave no event at all.
    """

    __slots__ = ("_collector", "_done", "_iterator", "_span")

    def __init__(self, iterator: AsyncIterator[Any], span: InferenceSpan) -> None:
        self._iterator = iterator
        self._span = span
        self._collector = _Collector(span)
        self._done = False

    def __aiter__(self) -> _TracedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self._iterator.__anext__()
        except StopAsyncIteration:
            self._finish(None)
            raise
        except BaseException as e:
            _note_error(self._span, e)
            self._finish(e)
            raise
        self._collector.chunk(chunk)
        return chunk

    async def aclose(self) -> None:
        """Closing before the end counts as the caller cancelling the rest of the stream."""
        self._finish(asyncio.CancelledError() if not self._done else None)
        close = getattr(self._iterator, "aclose", None)
        if close is not None:
            await close()

    def _finish(self, exc: BaseException | None) -> None:
        if self._done:
            return
        self._done = True
        self._collector.finish()
        self._span.end(exc)

    def __del__(self) -> None:
        # dropped without being closed: still one event, marked cancelled
        if not self._done:
            self._finish(asyncio.CancelledError())


class _Collector:
    """Reads a response (or stream chunks) into the span; never raises."""

    __slots__ = ("_calls", "_finish", "_last_usage", "_model", "_span", "_text")

    def __init__(self, span: InferenceSpan) -> None:
        self._span = span
        self._text: list[str] = []
        self._calls: list[Any] = []
        self._finish: str | None = None
        self._last_usage: Any = None
        self._model: str | None = None

    def response(self, response: Any) -> None:
        self.chunk(response, first=False)
        self.finish()

    def chunk(self, response: Any, first: bool = True) -> None:
        if not self._span.recording:
            return
        try:
            if first:
                self._span.first_chunk()
            self._model = getattr(response, "model_version", None) or self._model
            if getattr(response, "usage_metadata", None) is not None:
                self._last_usage = response.usage_metadata  # streams: the last one is the total
            candidates = getattr(response, "candidates", None) or []
            if not candidates:
                return
            candidate = candidates[0]
            if candidate.finish_reason is not None:
                reason = candidate.finish_reason
                self._finish = str(getattr(reason, "value", reason)).lower()
            content = candidate.content
            for part in (content.parts or []) if content is not None else []:
                if part.function_call is not None:
                    self._calls.append(part.function_call)
                elif part.text and not part.thought:
                    self._text.append(part.text)
        except Exception as e:
            warn_once("genai_read", "ollive: could not read a google-genai response: %r", e)

    def finish(self) -> None:
        span = self._span
        if not span.recording:
            return
        try:
            span.set_response_model(self._model)
            span.set_finish_reason(self._finish)
            usage = self._last_usage
            if usage is not None:
                prompt = (usage.prompt_token_count or 0) + (usage.tool_use_prompt_token_count or 0)
                thoughts = usage.thoughts_token_count
                candidates = usage.candidates_token_count
                span.set_usage(
                    input_tokens=prompt if usage.prompt_token_count is not None else None,
                    output_tokens=(candidates or 0) + (thoughts or 0)
                    if candidates is not None or thoughts is not None
                    else None,
                    cached_input_tokens=usage.cached_content_token_count,
                    reasoning_tokens=thoughts,
                )
            for call in self._calls:
                span.add_tool_call(call.name or "unknown", id=call.id, arguments=call.args)
            if self._text and span.capture_previews:
                span.set_output("".join(self._text))
        except Exception as e:
            warn_once("genai_read", "ollive: could not read a google-genai response: %r", e)


def _note_error(span: InferenceSpan, exc: BaseException) -> None:
    """Gemini API errors carry a status (`RESOURCE_EXHAUSTED`) more telling than the class."""
    code = getattr(exc, "status", None) or getattr(exc, "code", None)
    if isinstance(code, (str, int)) and not isinstance(code, bool) and str(code):
        span.set_status("error", code=str(code))


def _input_text(contents: Any) -> str | None:
    """The last user turn as text: what a reader of the event wants to see."""
    try:
        if contents is None or isinstance(contents, str):
            return contents
        last = contents[-1] if isinstance(contents, list) and contents else contents
        if isinstance(last, str):
            return last
        parts = last.get("parts") if isinstance(last, dict) else getattr(last, "parts", None)
        texts = []
        for part in parts or []:
            text = part.get("text") if isinstance(part, dict) else getattr(part, "text", None)
            if text:
                texts.append(text)
        return "\n".join(texts) or None
    except Exception:
        return None
