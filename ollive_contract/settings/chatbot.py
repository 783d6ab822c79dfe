"""The reference chatbot (prefix `OLLIVE_CHATBOT_`), read once at `python -m chatbot`."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from ollive_contract.settings.base import env_config


class ChatbotSettings(BaseSettings):
    """Where the chatbot listens, which model it calls, and how its offline responder behaves.

    Where its events go is the SDK's own configuration (`OLLIVE_ENDPOINT`, `OLLIVE_API_KEY`),
    read by the SDK; GEMINI_API_KEY, OPENAI_API_KEY and ANTHROPIC_API_KEY are the names the
    providers' own libraries read.
    """

    model_config = {**env_config("OLLIVE_CHATBOT_"), "populate_by_name": True}

    host: str = Field("127.0.0.1", description="Address the HTTP server binds.")
    port: int = Field(8080, description="Port the HTTP server binds.")
    model: str = Field(
        "gemini-2.5-flash",
        description="Model answering chats: gemini-*, gpt-* (OpenAI) or claude-* (Anthropic).",
    )
    system_instruction: str = Field(
        "You are Ollive's support assistant. Use the tools to look things up, check the "
        "weather or open tickets; answer briefly.",
        description="System prompt sent with every request.",
    )
    max_tool_rounds: int = Field(3, description="Model calls per turn that may ask for tools.")
    retries: int = Field(1, description="Retries of a model call refused with 429 or 5xx.")
    retry_backoff_s: float = Field(0.5, description="Wait before a retry (times time_scale).")
    seed: int = Field(7, description="Seed of the offline responder.")
    time_scale: float = Field(
        1.0, description="Offline latency multiplier: 1 is realistic, 0 answers at once."
    )
    error_rate: float = Field(0.04, description="Share of offline requests that fail (429/500).")
    log_level: str = Field("INFO", description="Level of the chatbot's application logs.")

    gemini_api_key: SecretStr | None = Field(
        None,
        validation_alias="GEMINI_API_KEY",
        description="Talk to Gemini when set; the offline responder answers otherwise.",
    )
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias="OPENAI_API_KEY",
        description="Talk to OpenAI for gpt-* models when set; offline otherwise.",
    )
    anthropic_api_key: SecretStr | None = Field(
        None,
        validation_alias="ANTHROPIC_API_KEY",
        description="Talk to Anthropic for claude-* models when set; offline otherwise.",
    )
    service: str = Field("chatbot", description="Service name on every event it sends.")

    @property
    def offline(self) -> bool:
        """Gemini (the default model's provider) is answered by the offline responder."""
        return self.api_key("gemini") is None

    def api_key(self, provider: str) -> str | None:
        """The key for `gemini`, `openai` or `anthropic`; None: the offline responder answers."""
        key = {"gemini": self.gemini_api_key, "openai": self.openai_api_key,
               "anthropic": self.anthropic_api_key}.get(provider)  # fmt: skip
        return (key.get_secret_value() or None) if key is not None else None
