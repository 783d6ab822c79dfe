"""OpenAI: the `openai.AsyncOpenAI` client (OpenAI with `OPENAI_API_KEY`, the offline responder
without, instrumented by the SDK either way) and a turn's Chat Completions calls on it.

The conversation (google-genai `Content`) becomes Chat Completions messages: user text, assistant
messages with `tool_calls`, one `tool` message per function response; the answer comes back as
parts with the function calls' ids kept, so the tool runs link to them.
"""

from __future__ import annotations

import json
from typing import Any

import openai
from google.genai import types
from ollive_sdk.integrations.openai import instrument_openai

from chatbot.backends import ModelError, OnText
from chatbot.offline_openai import OpenAIWire
from chatbot.tools import DECLARATIONS
from chatbot.wire_client import make_wire_client
from ollive_contract.settings import ChatbotSettings

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": d.name,
            "description": d.description,
            "parameters": d.parameters_json_schema,
        },
    }
    for d in DECLARATIONS
]


def make_openai_client(settings: ChatbotSettings, sdk: Any = None) -> openai.AsyncOpenAI:
    """The client `make_wire_client` makes, instrumented by the SDK."""
    client = make_wire_client(openai.AsyncOpenAI, settings, "openai", OpenAIWire)
    return instrument_openai(client, sdk)


class OpenAIBackend:
    def __init__(self, settings: ChatbotSettings, sdk: Any = None) -> None:
        self.settings = settings
        self.client = make_openai_client(settings, sdk)

    async def generate(
        self,
        model: str,
        contents: list[types.Content],
        offer_tools: bool,
        stream: bool,
        on_text: OnText,
    ) -> tuple[list[types.Part], str | None]:
        request: dict[str, Any] = {"model": model, "messages": self.messages(contents)}
        if offer_tools:
            request["tools"] = TOOLS
        try:
            if not stream:
                completion = await self.client.chat.completions.create(**request)
                choice = completion.choices[0]
                message = choice.message
                if message.content:
                    on_text(message.content)
                calls = [
                    (c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []
                ]
                return _parts(message.content or "", calls), choice.finish_reason
            return await self._stream(request, on_text)
        except openai.APIStatusError as e:
            raise ModelError(e.status_code, _code(e), e.message) from e

    async def _stream(
        self, request: dict[str, Any], on_text: OnText
    ) -> tuple[list[types.Part], str | None]:
        text, calls, finish = [], {}, None  # calls: index -> [id, name, argument pieces]
        chunks = await self.client.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        )
        async with chunks:  # closed on cancel too: its inference event says cancelled
            async for chunk in chunks:
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        text.append(delta.content)
                        on_text(delta.content)
                    for part in delta.tool_calls or []:
                        call = calls.setdefault(part.index, [None, None, []])
                        call[0] = part.id or call[0]
                        if part.function is not None:
                            call[1] = part.function.name or call[1]
                            call[2].append(part.function.arguments or "")
                    finish = choice.finish_reason or finish
        ordered = [(i, n, "".join(a)) for i, n, a in (calls[k] for k in sorted(calls))]
        return _parts("".join(text), ordered), finish

    def messages(self, contents: list[types.Content]) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self.settings.system_instruction}
        ]
        for content in contents:
            parts = content.parts or []
            text = "".join(p.text or "" for p in parts if not p.thought)
            if content.role == "model":
                message: dict[str, Any] = {"role": "assistant", "content": text or None}
                calls = [p.function_call for p in parts if p.function_call is not None]
                if calls:
                    message["tool_calls"] = [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": json.dumps(c.args or {})},
                        }
                        for c in calls
                    ]
                messages.append(message)
                continue
            for part in parts:
                if part.function_response is not None:
                    reply = part.function_response
                    messages.append(
                        {
                            "role": "tool",
                            "tool_call_id": reply.id,
                            "content": json.dumps(reply.response),
                        }
                    )
            if text:
                messages.append({"role": "user", "content": text})
        return messages

    async def aclose(self) -> None:
        await self.client.close()


def _parts(text: str, calls: list[tuple[Any, Any, Any]]) -> list[types.Part]:
    parts = [types.Part(text=text)] if text else []
    for call_id, name, arguments in calls:
        try:
            args = json.loads(arguments) if arguments else {}
        except ValueError:
            args = {"arguments": arguments}
        parts.append(types.Part(function_call=types.FunctionCall(id=call_id, name=name, args=args)))
    return parts


def _code(error: openai.APIStatusError) -> str | None:
    """OpenAI's error code (`rate_limit_exceeded`), else its type (`server_error`)."""
    return error.code or error.type
