"""Gemini: the `google.genai.Client` the chatbot uses (Gemini with a key, the offline responder
without, instrumented by the SDK's integration either way) and the turn's calls on it."""

from __future__ import annotations

from contextlib import aclosing

import httpx
import ollive_sdk
from google import genai
from google.genai import errors, types
from ollive_sdk.integrations.google_genai import instrument_google_genai

from chatbot.backends import ModelError, OnText
from chatbot.offline_transport import OfflineTransport
from chatbot.responder import OfflineResponder
from chatbot.tools import TOOLS
from ollive_contract.settings import ChatbotSettings

OFFLINE_API_KEY = "offline"  # the client insists on a key; the offline transport ignores it


def make_genai_client(
    settings: ChatbotSettings, sdk: ollive_sdk.Client | None = None
) -> genai.Client:
    """One client per event loop (httpx's async pools are bound to the loop that made them)."""
    key = settings.api_key("gemini")
    if key is not None:
        client = genai.Client(api_key=key)
    else:
        responder = OfflineResponder(settings.seed, settings.time_scale, settings.error_rate)
        transport = OfflineTransport(responder)
        client = genai.Client(
            api_key=OFFLINE_API_KEY,
            http_options=types.HttpOptions(
                httpx_client=httpx.Client(transport=transport),
                httpx_async_client=httpx.AsyncClient(transport=transport),
            ),
        )
    return instrument_google_genai(client, sdk)


class GeminiBackend:
    """The conversation is already google-genai's: requests go out as they are."""

    def __init__(self, settings: ChatbotSettings, sdk: ollive_sdk.Client | None = None) -> None:
        self.settings = settings
        self.client = make_genai_client(settings, sdk)

    async def generate(
        self,
        model: str,
        contents: list[types.Content],
        offer_tools: bool,
        stream: bool,
        on_text: OnText,
    ) -> tuple[list[types.Part], str | None]:
        config = types.GenerateContentConfig(
            system_instruction=self.settings.system_instruction,
            tools=TOOLS if offer_tools else None,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        try:
            if not stream:
                response = await self.client.aio.models.generate_content(
                    model=model, contents=contents, config=config
                )
                parts, finish = _parts_and_finish([response])
                text = "".join(p.text or "" for p in parts if not p.thought)
                if text:
                    on_text(text)
                return parts, finish
            chunks = []
            iterator = await self.client.aio.models.generate_content_stream(
                model=model, contents=contents, config=config
            )
            # aclosing: a cancel that lands between chunks still closes the stream, so its
            # inference event is recorded now (as cancelled), not whenever it is collected
            async with aclosing(iterator) as responses:
                async for chunk in responses:
                    chunks.append(chunk)
                    for part in _candidate_parts(chunk):
                        if part.text and not part.thought:
                            on_text(part.text)
            return _parts_and_finish(chunks)
        except errors.APIError as e:
            raise ModelError(e.code, e.status, e.message or str(e)) from e

    async def aclose(self) -> None:
        await self.client.aio.aclose()


def _candidate_parts(response: types.GenerateContentResponse) -> list[types.Part]:
    candidates = response.candidates or []
    content = candidates[0].content if candidates else None
    return list(content.parts or []) if content is not None else []


def _parts_and_finish(
    responses: list[types.GenerateContentResponse],
) -> tuple[list[types.Part], str | None]:
    """The parts to keep in history (thought signatures included) and the finish reason."""
    parts: list[types.Part] = []
    finish = None
    for response in responses:
        parts.extend(_candidate_parts(response))
        for candidate in response.candidates or []:
            if candidate.finish_reason is not None:
                finish = str(candidate.finish_reason.value).lower()
    return parts, finish
