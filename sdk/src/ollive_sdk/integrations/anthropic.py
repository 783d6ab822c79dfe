"""Instruments an `anthropic.Anthropic` or `anthropic.AsyncAnthropic` client (or its Bedrock and
Vertex twins): `messages.create` (with `stream=True` too), `messages.parse` and the
`messages.stream(...)` helper each emit one inference event, streams with time to first chunk.
Clients made from it by `with_options`/`copy` are instrumented too.

Token counts follow OTel: Anthropic's `input_tokens` leaves out the prompt tokens read from and
written to the cache, so input is the sum of the three; the cache reads are
`cached_input_tokens` and the cache writes go to metadata as
`gen_ai.usage.cache_creation.input_tokens`. Output includes thinking. The `tool_use` blocks a
response asks for are recorded with their ids, which the tool runs that follow carry as
`tool_call_id` (see `tool_calls.py`).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from ollive_sdk._log import warn_once
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
from ollive_sdk.integrations._streams import TracedAsyncStream, TracedStream
from ollive_sdk.spans import InferenceSpan

_METHODS = ("create", "parse")
_COPIES = ("copy", "with_options")
_PLATFORMS = {
    "Bedrock": "aws.bedrock",
    "AWS": "aws.bedrock",
    "Vertex": "gcp.vertex_ai",
    "GoogleCloud": "gcp.vertex_ai",
}


def instrument_anthropic(client: Any, ollive_client: Client | None = None) -> Any:
    """Instrument one Anthropic client, sync or async (idempotent); returns it for chaining."""
    provider = provider_of(client, "anthropic", _PLATFORMS)
    recipe = Recipe(
        provider, _MessageReader, lambda kw: last_text(kw.get("messages")), ollive_client
    )
    messages = getattr(client, "messages", None)
    if messages is not None:
        for method in _METHODS:
            wrap(messages, method, traced(recipe), "anthropic")
        wrap(messages, "stream", functools.partial(_stream_helper, recipe=recipe), "anthropic")
    for method in _COPIES:
        wrap(client, method, copies_instrumented(instrument_anthropic, ollive_client), "anthropic")
    return client


def uninstrument_anthropic(client: Any) -> None:
    """Remove the wrappers, restoring the library's own methods."""
    messages = getattr(client, "messages", None)
    if messages is not None:
        for method in (*_METHODS, "stream"):
            unwrap(messages, method)
    for method in _COPIES:
        unwrap(client, method)


def _stream_helper(original: Any, recipe: Recipe) -> Any:
    @functools.wraps(original)
    def stream(*args: Any, **kwargs: Any) -> _TracedStreamManager:
        return _TracedStreamManager(original(*args, **kwargs), recipe, kwargs)

    return stream


class _TracedStreamManager:
    """What `messages.stream(...)` returns: the request is sent on entering the block, so the
    span opens there, and the `MessageStream` it gives reads its events through a traced stream.
    """

    __slots__ = ("_kwargs", "_manager", "_recipe")

    def __init__(self, manager: Any, recipe: Recipe, kwargs: dict[str, Any]) -> None:
        self._manager = manager
        self._recipe = recipe
        self._kwargs = kwargs

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_manager"), name)

    def __enter__(self) -> Any:
        span = self._recipe.open(self._kwargs, True).start()
        try:
            stream = self._manager.__enter__()
        except BaseException as e:
            self._recipe.reader(span).failed(e)
            span.end(e)
            raise
        return _adopt(stream, span, self._recipe, TracedStream)

    def __exit__(self, *exc_info: Any) -> Any:
        return self._manager.__exit__(*exc_info)

    async def __aenter__(self) -> Any:
        span = self._recipe.open(self._kwargs, True).start()
        try:
            stream = await self._manager.__aenter__()
        except BaseException as e:
            self._recipe.reader(span).failed(e)
            span.end(e)
            raise
        return _adopt(stream, span, self._recipe, TracedAsyncStream)

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self._manager.__aexit__(*exc_info)


def _adopt(stream: Any, span: InferenceSpan, recipe: Recipe, traced_type: type) -> Any:
    """Make the helper's `MessageStream` read the raw events through a traced stream."""
    raw = getattr(stream, "_raw_stream", None)
    if raw is None:  # a library version that keeps it elsewhere: the call is timed, not read
        warn_once("anthropic_stream", "ollive: cannot read this anthropic stream helper")
        span.end()
        return stream
    stream._raw_stream = traced_type(raw, span, recipe.reader(span))
    return stream


class _MessageReader(Reader):
    """A `Message`, or the raw events of a stream."""

    provider = "anthropic"

    def __init__(self, span: Any) -> None:
        super().__init__(span)
        self._usage: dict[str, int] = {}  # the API's own names; later events overwrite
        self._blocks: dict[int, list[Any]] = {}  # index -> [name, id, json parts] of tool_use

    def read_response(self, message: Any) -> None:
        self.response_model = message.model
        self.response_id = message.id
        self.finish_reason = message.stop_reason
        for block in message.content or []:
            if block.type == "text":
                self.text.append(block.text)
            elif block.type == "tool_use":
                self.calls.append((block.name, block.id, block.input))
        self._read_usage(message.usage)

    def read_chunk(self, event: Any) -> None:
        kind = event.type
        if kind == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta":
                self.text.append(delta.text)
            elif delta.type == "input_json_delta" and event.index in self._blocks:
                self._blocks[event.index][2].append(delta.partial_json)
        elif kind == "content_block_start":
            block = event.content_block
            if block.type == "text" and block.text:
                self.text.append(block.text)
            elif block.type == "tool_use":
                self._blocks[event.index] = [block.name, block.id, []]
        elif kind == "message_start":
            self.response_model = event.message.model
            self.response_id = event.message.id
            self._read_usage(event.message.usage)
        elif kind == "message_delta":
            self.finish_reason = event.delta.stop_reason or self.finish_reason
            self._read_usage(event.usage)

    def _read_usage(self, usage: Any) -> None:
        if usage is None:
            return
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ):
            value = getattr(usage, name, None)
            if value is not None:
                self._usage[name] = value
        details = getattr(usage, "output_tokens_details", None)
        if getattr(details, "thinking_tokens", None) is not None:
            self._usage["thinking_tokens"] = details.thinking_tokens

    def _write(self) -> None:
        for index in sorted(self._blocks):
            name, call_id, parts = self._blocks[index]
            self.calls.append((name, call_id, _json("".join(parts))))
        self._blocks.clear()
        usage = self._usage
        read = usage.get("cache_read_input_tokens")
        written = usage.get("cache_creation_input_tokens")
        if "input_tokens" in usage:
            self.input_tokens = usage["input_tokens"] + (read or 0) + (written or 0)
        self.output_tokens = usage.get("output_tokens")
        self.cached_input_tokens = read
        self.cache_creation_tokens = written
        self.reasoning_tokens = usage.get("thinking_tokens")
        super()._write()


def _json(text: str) -> Any:
    """Streamed tool input as the dict a whole response gives (the raw text if cut short)."""
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text
