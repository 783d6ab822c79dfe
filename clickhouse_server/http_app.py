"""The ASGI application: routes, the engine's lifetime, and one log line per request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.routing import Route

from clickhouse_server import handlers, query_log
from clickhouse_server.auth import Authenticator
from clickhouse_server.engine import ACCESS_DIR, Engine
from clickhouse_server.sessions import SessionRegistry

log = logging.getLogger("clickhouse_server")


def create_app(
    engine: Engine,
    authenticator: Authenticator,
    max_threads: int = 64,
    display_name: str = "ollive-chdb",
    query_log_flush_ms: int = query_log.FLUSH_INTERVAL_MS,
) -> Any:
    """Build the app; the engine opens on startup and closes (flushing) on shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        limiter = anyio.CapacityLimiter(max_threads)
        query_log.write_config(engine.path / ACCESS_DIR, query_log_flush_ms)
        await anyio.to_thread.run_sync(engine.open)
        await anyio.to_thread.run_sync(_install_query_log, engine)
        sessions = SessionRegistry(engine, limiter)
        app.state.server = handlers.ServerState(
            engine=engine,
            authenticator=authenticator,
            sessions=sessions,
            limiter=limiter,
            display_name=display_name,
        )
        reaper = asyncio.create_task(sessions.reap_forever())
        log.info("engine %s open at %s", engine.version, engine.path)
        try:
            yield
        finally:
            reaper.cancel()
            await sessions.close_all()
            await anyio.to_thread.run_sync(engine.close)
            log.info("engine closed")

    app = Starlette(
        routes=[
            Route("/ping", handlers.ping, methods=["GET", "HEAD"]),
            Route("/replicas_status", handlers.replicas_status, methods=["GET"]),
            Route("/", handlers.query, methods=["GET", "POST", "HEAD"]),
        ],
        lifespan=lifespan,
    )
    return RequestLog(app)


def _install_query_log(engine: Engine) -> None:
    connection = engine.connect()
    try:
        query_log.install(connection)
    finally:
        engine.release(connection)


class RequestLog:
    """ASGI middleware logging method, path, status, bytes and time — never the URL query,
    which may carry a password."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        sent = 0

        async def logged_send(message: dict) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, logged_send)
        except handlers.StreamAborted as exc:
            # Returning without the final body message makes the server drop the connection
            # (no last chunk), as ClickHouse does after its in-band exception block.
            log.warning("query failed mid-stream: code %s (in-band exception sent)", exc)
        finally:
            if scope["path"] != "/ping":
                log.info(
                    "%s %s %s %dB %.1fms query_id=%s",
                    scope["method"],
                    scope["path"],
                    status,
                    sent,
                    (time.perf_counter() - started) * 1000,
                    scope.get("ollive.query_id", "-"),
                )
