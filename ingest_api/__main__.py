"""Entry point: `python -m ingest_api` (uvicorn on the configured host and port)."""

from __future__ import annotations

import logging

import uvicorn

from ingest_api.app import create_app
from ollive_contract.settings import IngestSettings


def main() -> None:
    settings = IngestSettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(
        create_app(settings, freeze_after_startup=True),
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,  # per-request lines would cost more than the request at high rates
        timeout_graceful_shutdown=30,
    )


if __name__ == "__main__":
    main()
