"""The SDK client and the log handler: where the chatbot's events and application logs go."""

from __future__ import annotations

import logging

import ollive_sdk

from ollive_contract.settings import ChatbotSettings

LOGGER = "chatbot"


def init_sdk(settings: ChatbotSettings) -> ollive_sdk.Client:
    """The process-wide client; endpoint and key are the SDK's own `OLLIVE_ENDPOINT` and
    `OLLIVE_API_KEY` (telemetry is off without them)."""
    return ollive_sdk.init(service=settings.service)


def attach_log_handler(sdk: ollive_sdk.Client, level: str | int = "INFO") -> logging.Handler:
    """Ship the `chatbot.*` loggers' records as application events through `sdk`."""
    handler = ollive_sdk.OlliveLogHandler(sdk)
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    logger.addHandler(handler)
    return handler


def detach_log_handler(handler: logging.Handler) -> None:
    logging.getLogger(LOGGER).removeHandler(handler)
