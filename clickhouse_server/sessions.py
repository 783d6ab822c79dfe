"""HTTP sessions (`session_id`): one engine connection each, locked while a query runs,
closed after `session_timeout` seconds idle — ClickHouse's semantics, which dbt relies on
for `SET` and temporary tables surviving between requests."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import anyio

from clickhouse_server import errors
from clickhouse_server.auth import User
from clickhouse_server.engine import Connection, Engine

log = logging.getLogger(__name__)


@dataclass
class Session:
    """A named session: its connection, and whether a request holds it right now."""

    user: User
    session_id: str
    timeout_s: int
    connection: Connection | None = None
    busy: bool = True
    last_used: float = field(default_factory=time.monotonic)


class SessionRegistry:
    """All live sessions. Mutated only on the event loop, so `busy` needs no lock."""

    def __init__(self, engine: Engine, limiter: anyio.CapacityLimiter) -> None:
        self._engine = engine
        self._limiter = limiter
        self._sessions: dict[tuple[str, str], Session] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    async def acquire(self, user: User, session_id: str, timeout_s: int, check: bool) -> Session:
        """Lock the session for one request, creating it unless `session_check=1`."""
        key = (user.name, session_id)
        session = self._sessions.get(key)
        if session is not None:
            if session.busy:
                raise errors.ClickHouseError(
                    errors.SESSION_IS_LOCKED,
                    f"Session {session_id} is locked by a concurrent client",
                )
            session.busy = True
            session.timeout_s = timeout_s
            return session
        if check:
            raise errors.ClickHouseError(
                errors.SESSION_NOT_FOUND, f"Session {session_id} not found"
            )
        session = Session(user=user, session_id=session_id, timeout_s=timeout_s)
        self._sessions[key] = session
        try:
            session.connection = await anyio.to_thread.run_sync(
                self._open, user, limiter=self._limiter
            )
        except BaseException:
            del self._sessions[key]
            raise
        return session

    def _open(self, user: User) -> Connection:
        connection = self._engine.connect(role=user.name)
        if user.readonly:
            # For the session's whole life, as a readonly profile would be.
            connection.execute(f"SET readonly = {user.readonly}")
        return connection

    async def release(self, session: Session, close: bool = False) -> None:
        session.busy = False
        session.last_used = time.monotonic()
        if close:
            await self._close((session.user.name, session.session_id))

    async def _close(self, key: tuple[str, str]) -> None:
        session = self._sessions.pop(key, None)
        if session is not None and session.connection is not None:
            await anyio.to_thread.run_sync(self._engine.release, session.connection)

    async def expire(self) -> None:
        """Close sessions idle for longer than their timeout."""
        now = time.monotonic()
        idle = [
            key
            for key, session in self._sessions.items()
            if not session.busy and now - session.last_used > session.timeout_s
        ]
        for key in idle:
            await self._close(key)

    async def reap_forever(self, interval_s: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.expire()
            except Exception:
                log.exception("closing expired sessions failed")

    async def close_all(self) -> None:
        for key in list(self._sessions):
            await self._close(key)
