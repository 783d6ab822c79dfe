"""`python -m chatbot`: serve the chatbot with uvicorn (settings from OLLIVE_CHATBOT_*)."""

from __future__ import annotations

import logging

import uvicorn

from chatbot.app import create_app
from ollive_contract.settings import ChatbotSettings


def main() -> None:
    settings = ChatbotSettings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per model call otherwise
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
