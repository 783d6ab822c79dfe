"""The `google.genai.Client` the chatbot uses: Gemini with a key, the offline responder without,
instrumented by the SDK's integration either way."""

from __future__ import annotations

import httpx
import ollive_sdk
from google import genai
from google.genai import types
from ollive_sdk.integrations.google_genai import instrument_google_genai

from chatbot.offline_transport import OfflineTransport
from chatbot.responder import OfflineResponder
from ollive_contract.settings import ChatbotSettings

OFFLINE_API_KEY = "offline"  # the client insists on a key; the offline transport ignores it


def make_genai_client(
    settings: ChatbotSettings, sdk: ollive_sdk.Client | None = None
) -> genai.Client:
    """One client per event loop (httpx's async pools are bound to the loop that made them)."""
    if not settings.offline and settings.gemini_api_key is not None:
        client = genai.Client(api_key=settings.gemini_api_key.get_secret_value())
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
