"""Which provider answers a model, and the one call a turn makes on it.

The conversation is kept in google-genai's `types.Content` (the chatbot is a google-genai app);
the OpenAI and Anthropic backends translate it to their own message formats and their answers
back. Each backend wraps the provider's real client, instrumented by the SDK, so each call is one
inference event whichever provider answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from google.genai import types

from ollive_contract.settings import ChatbotSettings

OnText = Callable[[str], None]
PROVIDERS = ("gemini", "openai", "anthropic")


def provider_of(model: str) -> str:
    """`gpt-*`/`o<n>-*` → openai, `claude-*` → anthropic, anything else → gemini."""
    name = model.lower().removeprefix("models/")
    if name.startswith(("gpt-", "o1", "o3", "o4", "chatgpt-")):
        return "openai"
    if name.startswith("claude-"):
        return "anthropic"
    return "gemini"


class ModelError(Exception):
    """The provider refused the call: `code` is its HTTP status, `status` its error name."""

    def __init__(self, code: int, status: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class Backend(Protocol):
    async def generate(
        self,
        model: str,
        contents: list[types.Content],
        offer_tools: bool,
        stream: bool,
        on_text: OnText,
    ) -> tuple[list[types.Part], str | None]:
        """One model call: the parts to keep in history and the provider's finish reason.
        Streamed text goes to `on_text` as it arrives; raises ModelError when refused."""
        ...

    async def aclose(self) -> None: ...


class Backends:
    """One backend per provider, made on first use (and on the event loop that uses it: the
    clients' async HTTP pools are bound to it). A provider's library is imported only when one
    of its models is asked for, so a Gemini-only deployment needs neither openai nor anthropic."""

    def __init__(self, settings: ChatbotSettings, sdk: Any = None) -> None:
        self.settings = settings
        self.sdk = sdk
        self._made: dict[str, Backend] = {}

    def for_model(self, model: str) -> Backend:
        provider = provider_of(model)
        if provider not in self._made:
            self._made[provider] = self._make(provider)
        return self._made[provider]

    def _make(self, provider: str) -> Backend:
        if provider == "openai":
            from chatbot.openai_chat import OpenAIBackend

            return OpenAIBackend(self.settings, self.sdk)
        if provider == "anthropic":
            from chatbot.anthropic_chat import AnthropicBackend

            return AnthropicBackend(self.settings, self.sdk)
        from chatbot.gemini import GeminiBackend

        return GeminiBackend(self.settings, self.sdk)

    async def aclose(self) -> None:
        for backend in self._made.values():
            await backend.aclose()
        self._made.clear()
