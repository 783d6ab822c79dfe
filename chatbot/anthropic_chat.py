"""Anthropic: the `anthropic.AsyncAnthropic` client (Anthropic with `ANTHROPIC_API_KEY`, the
offline responder without, instrumented by the SDK either way) and a turn's Messages API calls.

The conversation (google-genai `Content`) becomes Messages: text and `tool_use` blocks from the
assistant, text and `tool_result` blocks from the user; the answer comes back as parts with the
`tool_use` ids kept, so the tool runs link to them.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
from google.genai import types
from ollive_sdk.integrations.anthropic import instrument_anthropic

from chatbot.backends import ModelError, OnText
from chatbot.offline_anthropic import AnthropicWire
from chatbot.tools import DECLARATIONS
from chatbot.wire_client import make_wire_client
from ollive_contract.settings import ChatbotSettings

MAX_TOKENS = 1024
TOOLS = [
    {"name": d.name, "description": d.description, "input_schema": d.parameters_json_schema}
    for d in DECLARATIONS
]


def make_anthropic_client(settings: ChatbotSettings, sdk: Any = None) -> anthropic.AsyncAnthropic:
    """The client `make_wire_client` makes, instrumented by the SDK."""
    client = make_wire_client(anthropic.AsyncAnthropic, settings, "anthropic", AnthropicWire)
    return instrument_anthropic(client, sdk)


class AnthropicBackend:
    def __init__(self, settings: ChatbotSettings, sdk: Any = None) -> None:
        self.settings = settings
        self.client = make_anthropic_client(settings, sdk)

    async def generate(
        self,
        model: str,
        contents: list[types.Content],
        offer_tools: bool,
        stream: bool,
        on_text: OnText,
    ) -> tuple[list[types.Part], str | None]:
        request: dict[str, Any] = {
            "model": model,
            "max_tokens": MAX_TOKENS,
            "system": self.settings.system_instruction,
            "messages": messages(contents),
        }
        if offer_tools:
            request["tools"] = TOOLS
        try:
            if not stream:
                message = await self.client.messages.create(**request)
                blocks = [
                    (
                        b.type,
                        getattr(b, "text", None),
                        getattr(b, "id", None),
                        getattr(b, "name", None),
                        getattr(b, "input", None),
                    )
                    for b in message.content
                ]
                text = "".join(t or "" for kind, t, *_ in blocks if kind == "text")
                if text:
                    on_text(text)
                calls = [(i, n, a) for kind, _, i, n, a in blocks if kind == "tool_use"]
                return _parts(text, calls), message.stop_reason
            return await self._stream(request, on_text)
        except anthropic.APIStatusError as e:
            raise ModelError(e.status_code, _error_type(e), e.message) from e

    async def _stream(
        self, request: dict[str, Any], on_text: OnText
    ) -> tuple[list[types.Part], str | None]:
        text, calls, stop = [], {}, None  # calls: block index -> [id, name, json pieces]
        events = await self.client.messages.create(**request, stream=True)
        async with events:  # closed on cancel too: its inference event says cancelled
            async for event in events:
                if event.type == "content_block_start" and event.content_block.type == "tool_use":
                    block = event.content_block
                    calls[event.index] = [block.id, block.name, []]
                elif event.type == "content_block_delta":
                    if event.delta.type == "text_delta":
                        text.append(event.delta.text)
                        on_text(event.delta.text)
                    elif event.delta.type == "input_json_delta" and event.index in calls:
                        calls[event.index][2].append(event.delta.partial_json)
                elif event.type == "message_delta":
                    stop = event.delta.stop_reason or stop
        ordered = []
        for call_id, name, pieces in (calls[k] for k in sorted(calls)):
            try:
                ordered.append((call_id, name, json.loads("".join(pieces) or "{}")))
            except ValueError:
                ordered.append((call_id, name, {"input": "".join(pieces)}))
        return _parts("".join(text), ordered), stop

    async def aclose(self) -> None:
        await self.client.close()


def messages(contents: list[types.Content]) -> list[dict[str, Any]]:
    out = []
    for content in contents:
        blocks: list[dict[str, Any]] = []
        for part in content.parts or []:
            if part.text and not part.thought:
                blocks.append({"type": "text", "text": part.text})
            elif part.function_call is not None:
                call = part.function_call
                blocks.append(
                    {"type": "tool_use", "id": call.id, "name": call.name, "input": call.args or {}}
                )
            elif part.function_response is not None:
                reply = part.function_response
                blocks.append(
                    {
                        "type": "tool_result",
                        "tool_use_id": reply.id,
                        "content": json.dumps(reply.response),
                    }
                )
        role = "assistant" if content.role == "model" else "user"
        out.append({"role": role, "content": blocks})
    return out


def _parts(text: str, calls: list[tuple[Any, Any, Any]]) -> list[types.Part]:
    parts = [types.Part(text=text)] if text else []
    for call_id, name, args in calls:
        call = types.FunctionCall(id=call_id, name=name, args=dict(args or {}))
        parts.append(types.Part(function_call=call))
    return parts


def _error_type(error: anthropic.APIStatusError) -> str | None:
    """Anthropic's error type: `rate_limit_error`, `overloaded_error`, …"""
    body = error.body if isinstance(error.body, dict) else {}
    inner = body.get("error")
    return inner.get("type") if isinstance(inner, dict) else None
