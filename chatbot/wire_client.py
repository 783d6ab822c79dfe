"""The `openai` and `anthropic` clients the chatbot uses: live with the provider's key, else the
offline responder behind the provider's wire (`offline_wire.py`, taken as `http_client=`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx2

from chatbot.offline_wire import Wire, WireTransport
from chatbot.responder import OfflineResponder
from ollive_contract.settings import ChatbotSettings

OFFLINE_API_KEY = "offline"  # the clients insist on a key; the offline wire ignores it

Client = TypeVar("Client")


def make_wire_client(
    client_class: Callable[..., Client],
    settings: ChatbotSettings,
    provider: str,
    wire: Callable[[OfflineResponder], Wire],
) -> Client:
    """No retries in the library: the chat service retries, each attempt an inference event."""
    key = settings.api_key(provider)
    if key is not None:
        return client_class(api_key=key, max_retries=0)
    responder = OfflineResponder(settings.seed, settings.time_scale, settings.error_rate)
    transport = WireTransport(wire(responder))
    return client_class(
        api_key=OFFLINE_API_KEY,
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=transport),
    )
