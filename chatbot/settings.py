"""Typed configuration of the chatbot, read from the environment once, at the entry point."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChatbotSettings(BaseSettings):
    """Where the chatbot listens, which model it calls, and how its offline responder behaves.

    The SDK's own variables (OLLIVE_ENDPOINT, OLLIVE_API_KEY, OLLIVE_SERVICE) and GEMINI_API_KEY
    are read here too, so nothing below `python -m chatbot` touches the environment.
    """

    model_config = SettingsConfigDict(
        env_prefix="OLLIVE_CHATBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    host: str = Field("127.0.0.1", description="Address the HTTP server binds.")
    port: int = Field(8080, description="Port the HTTP server binds.")
    model: str = Field("gemini-2.5-flash", description="Gemini model answering chats.")
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
        validation_alias=AliasChoices("GEMINI_API_KEY", "OLLIVE_CHATBOT_GEMINI_API_KEY"),
        description="Talk to Gemini when set; the offline responder answers otherwise.",
    )
    ollive_endpoint: str | None = Field(
        None,
        validation_alias=AliasChoices("OLLIVE_ENDPOINT", "OLLIVE_CHATBOT_OLLIVE_ENDPOINT"),
        description="Ingest API the SDK sends events to (telemetry is off without it).",
    )
    ollive_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("OLLIVE_API_KEY", "OLLIVE_CHATBOT_OLLIVE_API_KEY"),
        description="SDK key of the project the events belong to.",
    )
    service: str = Field(
        "chatbot",
        validation_alias=AliasChoices("OLLIVE_SERVICE", "OLLIVE_CHATBOT_SERVICE"),
        description="Service name on every event.",
    )

    @property
    def offline(self) -> bool:
        return self.gemini_api_key is None or not self.gemini_api_key.get_secret_value()
