"""Instruments an `openai.OpenAI` or `openai.AsyncOpenAI` client: Chat Completions
(`chat.completions.create`, `parse`, and the `stream` helper, which calls `create`) and the
Responses API (`responses.create`, `parse`, `stream`) each emit one inference event, streams with
time to first chunk. Clients made from it by `with_options`/`copy` are instrumented too.

OpenAI's token counts are OTel's already: `prompt_tokens` includes the cached ones and
`completion_tokens` the reasoning ones. A streamed Chat Completion reports usage only when asked,
with `stream_options={"include_usage": True}`. The function calls a response asks for are
recorded with their ids (`call_id` in the Responses API), which the tool runs that follow carry
as `tool_call_id` (see `tool_calls.py`).
"""

from __future__ import annotations

from typing import Any

from ollive_sdk.client import Client
from ollive_sdk.integrations._calls import (
    Recipe,
    copies_instrumented,
    last_text,
    provider_of,
    traced,
    unwrap,
    wrap,
)
from ollive_sdk.integrations._reader import Reader

_METHODS = ("create", "parse")
_COPIES = ("copy", "with_options")
_PLATFORMS = {"Azure": "azure.ai.openai", "Bedrock": "aws.bedrock"}


def instrument_openai(client: Any, ollive_client: Client | None = None) -> Any:
    """Instrument one OpenAI client, sync or async (idempotent); returns it for chaining."""
    provider = provider_of(client, "openai", _PLATFORMS)
    chat = Recipe(provider, _ChatReader, lambda kw: last_text(kw.get("messages")), ollive_client)
    responses = Recipe(
        provider, _ResponsesReader, lambda kw: last_text(kw.get("input")), ollive_client
    )
    for resource, recipe in _resources(client, chat, responses):
        for method in _METHODS:
            wrap(resource, method, traced(recipe), "openai")
    for method in _COPIES:
        wrap(client, method, copies_instrumented(instrument_openai, ollive_client), "openai")
    return client


def uninstrument_openai(client: Any) -> None:
    """Remove the wrappers, restoring the library's own methods."""
    for resource, _ in _resources(client, None, None):
        for method in _METHODS:
            unwrap(resource, method)
    for method in _COPIES:
        unwrap(client, method)


def _resources(client: Any, chat: Any, responses: Any) -> list[tuple[Any, Any]]:
    found = []
    for path, recipe in ((("chat", "completions"), chat), (("responses",), responses)):
        resource = client
        for name in path:
            resource = getattr(resource, name, None)
        if resource is not None:
            found.append((resource, recipe))
    return found


class _ChatReader(Reader):
    """A `ChatCompletion`, or the `ChatCompletionChunk`s of a stream (first choice)."""

    provider = "openai"

    def __init__(self, span: Any) -> None:
        super().__init__(span)
        self._streamed_calls: dict[int, list[Any]] = {}  # index -> [name, id, argument parts]

    def read_response(self, completion: Any) -> None:
        self.response_model = completion.model
        self.response_id = completion.id
        self._usage(completion.usage)
        if not completion.choices:
            return
        choice = completion.choices[0]
        self.finish_reason = choice.finish_reason
        message = choice.message
        answer = message.content or getattr(message, "refusal", None)
        if answer:
            self.text.append(answer)
        for call in message.tool_calls or []:
            function = getattr(call, "function", None) or getattr(call, "custom", None)
            arguments = getattr(function, "arguments", None) or getattr(function, "input", None)
            self.calls.append((function.name, call.id, arguments))

    def read_chunk(self, chunk: Any) -> None:
        self.response_model = chunk.model or self.response_model
        self.response_id = chunk.id or self.response_id
        self._usage(getattr(chunk, "usage", None))  # on the last chunk, with include_usage
        for choice in chunk.choices or []:
            if choice.index != 0:
                continue
            delta = choice.delta
            if delta is not None:
                answer = delta.content or getattr(delta, "refusal", None)
                if answer:
                    self.text.append(answer)
                for part in delta.tool_calls or []:
                    call = self._streamed_calls.setdefault(part.index, [None, None, []])
                    call[1] = part.id or call[1]
                    if part.function is not None:
                        call[0] = part.function.name or call[0]
                        call[2].append(part.function.arguments or "")
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason

    def _write(self) -> None:
        for index in sorted(self._streamed_calls):
            name, call_id, parts = self._streamed_calls[index]
            self.calls.append((name, call_id, "".join(parts)))
        self._streamed_calls.clear()
        super()._write()

    def _usage(self, usage: Any) -> None:
        if usage is None:
            return
        self.input_tokens = usage.prompt_tokens
        self.output_tokens = usage.completion_tokens
        # the details came later to the API (and the library): absent, the counts are unknown
        prompt = getattr(usage, "prompt_tokens_details", None)
        self.cached_input_tokens = getattr(prompt, "cached_tokens", None)
        self.cache_creation_tokens = getattr(prompt, "cache_write_tokens", None)
        completion = getattr(usage, "completion_tokens_details", None)
        self.reasoning_tokens = getattr(completion, "reasoning_tokens", None)


_RESPONSE_EVENTS = frozenset({"response.created", "response.in_progress", "response.queued"})
_FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class _ResponsesReader(Reader):
    """A `Response`, or the events of a Responses API stream."""

    provider = "openai"

    def read_response(self, response: Any) -> None:
        self.response_model = response.model
        self.response_id = response.id
        incomplete = response.incomplete_details
        self.finish_reason = (incomplete.reason if incomplete else None) or response.status
        if response.error is not None:
            self.error = (response.error.code, response.error.message)
        self.text, self.calls = [], []  # the whole response replaces what streamed before it
        for item in response.output or []:
            if item.type == "message":
                for part in item.content or []:
                    text = getattr(part, "text", None) or getattr(part, "refusal", None)
                    if text:
                        self.text.append(text)
            elif item.type == "function_call":
                self.calls.append((item.name, item.call_id, item.arguments))
            elif item.type == "custom_tool_call":
                self.calls.append((item.name, item.call_id, item.input))
        usage = response.usage
        if usage is not None:
            self.input_tokens = usage.input_tokens
            self.output_tokens = usage.output_tokens
            details = getattr(usage, "input_tokens_details", None)
            self.cached_input_tokens = getattr(details, "cached_tokens", None)
            self.cache_creation_tokens = getattr(details, "cache_write_tokens", None)
            details = getattr(usage, "output_tokens_details", None)
            self.reasoning_tokens = getattr(details, "reasoning_tokens", None)

    def read_chunk(self, event: Any) -> None:
        kind = event.type
        if kind == "response.output_text.delta":
            self.text.append(event.delta)
        elif kind in _FINAL_EVENTS:
            self.read_response(event.response)
        elif kind in _RESPONSE_EVENTS:
            self.response_model = event.response.model
            self.response_id = event.response.id
        elif kind == "error":
            self.error = (event.code, event.message)
