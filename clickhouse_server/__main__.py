"""Entry point: `python -m clickhouse_server --path DIR --host 127.0.0.1 --port 8123`.

Defaults come from the stack's settings (`OLLIVE_STACK_CLICKHOUSE_*`), the address and the users
it provisions from `OLLIVE_CLICKHOUSE_*`; flags override. The engine's access storage is
written at every start from those two users and the optional access file.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import uvicorn

from clickhouse_server import access, query_log
from clickhouse_server.auth import Authenticator
from clickhouse_server.engine import Engine
from clickhouse_server.http_app import create_app
from ollive_contract.settings import StackSettings


def main(argv: list[str] | None = None) -> None:
    settings = StackSettings()
    parser = argparse.ArgumentParser(prog="python -m clickhouse_server")
    parser.add_argument(
        "--path",
        default=str(settings.clickhouse_data_path),
        help="engine data directory (one server per directory)",
    )
    parser.add_argument("--host", default=settings.clickhouse.host)
    parser.add_argument("--port", type=int, default=settings.clickhouse.port)
    parser.add_argument(
        "--threads",
        type=int,
        default=settings.clickhouse_threads,
        help="most engine calls running at once",
    )
    parser.add_argument(
        "--memory-ratio",
        type=float,
        default=settings.clickhouse_memory_ratio,
        help="share of the machine's memory the engine may hold; past half of what is free "
        "under it, GROUP BY, sorts and joins spill to disk",
    )
    parser.add_argument(
        "--access-file",
        default=settings.clickhouse_access_file,
        type=Path,
        help="TOML file of further engine users, roles and row policies",
    )
    parser.add_argument(
        "--query-log-flush-ms",
        type=int,
        default=query_log.FLUSH_INTERVAL_MS,
        help="how often the engine flushes system.query_log (ClickHouse's default, 7500; "
        "clients' test servers often use 1000)",
    )
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    clickhouse = settings.clickhouse
    definition = access.provisioned(
        clickhouse.user,
        clickhouse.password.get_secret_value(),
        clickhouse.readonly_user,
        clickhouse.readonly_password.get_secret_value(),
    )
    if args.access_file is not None:
        definition = definition.merged(access.load(args.access_file))
    if not 0 < args.memory_ratio <= 0.9:
        parser.error("--memory-ratio must be above 0 and at most 0.9")
    engine = Engine(Path(args.path).resolve(), definition, args.memory_ratio)
    app = create_app(
        engine,
        Authenticator(definition.users),
        args.threads,
        query_log_flush_ms=args.query_log_flush_ms,
    )
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
