"""Entry point: `python -m ollive.clickhouse_server --path DIR --host 127.0.0.1 --port 8123`.

Defaults and credentials come from `OlliveSettings` (environment / `.env`); flags override.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import uvicorn

from ollive.clickhouse_server.auth import Authenticator, User
from ollive.clickhouse_server.engine import Engine
from ollive.clickhouse_server.http_app import create_app
from ollive.settings import OlliveSettings


def main(argv: list[str] | None = None) -> None:
    settings = OlliveSettings()
    parser = argparse.ArgumentParser(prog="python -m ollive.clickhouse_server")
    parser.add_argument(
        "--path",
        default=str(settings.clickhouse_data_path),
        help="engine data directory (one server per directory)",
    )
    parser.add_argument("--host", default=settings.clickhouse_host)
    parser.add_argument("--port", type=int, default=settings.clickhouse_port)
    parser.add_argument(
        "--threads",
        type=int,
        default=settings.clickhouse_server_threads,
        help="most engine calls running at once",
    )
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    users = [
        User(settings.clickhouse_user, settings.clickhouse_password.get_secret_value()),
        User(
            settings.clickhouse_readonly_user,
            settings.clickhouse_readonly_password.get_secret_value(),
            readonly=1,
        ),
    ]
    app = create_app(Engine(Path(args.path).resolve()), Authenticator(users), args.threads)
    # uvicorn handles SIGTERM/SIGINT: stop accepting, finish in-flight requests, then run the
    # lifespan shutdown, which closes every connection so the engine flushes to disk.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=30,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
