"""Per-key token buckets in the shared key store's Postgres: one row per key digest and bucket.

A replica leases tokens with one atomic statement: the row's refill is computed in SQL from the
server's clock (`statement_timestamp()`, so replicas' clocks never matter), capped at the
bucket's capacity, and the grant is taken in the same `insert … on conflict do update`, so two
replicas leasing at once serialise on the row lock and never both spend the same tokens. The
limits (rate, capacity) travel with each statement: changing a project's quota takes effect on
the next lease, and the row holds nothing but a balance. Rows are keyed by the key's sha256,
never the key.

One thread owns the connection: the event loop never blocks on a connect, and a caller waits
for an answer only as long as it chooses (`Future.result(timeout)`), whatever the network does.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SCHEMA = """
create table if not exists quota_buckets (
    key_sha256 text not null,
    bucket text not null,
    tokens double precision not null,
    refilled double precision not null,
    updated timestamptz not null,
    primary key (key_sha256, bucket)
)
"""
SCHEMA_LOCK = 0x011F_5154_4B42  # not the key store's (databases.SCHEMA_LOCK)


def _grant(balance: str) -> str:
    """What a lease takes from `balance`: nothing unless `need` is there; then at least `cost`
    (a cost above the capacity leaves the row in debt, as one bucket does), and up to `want`."""
    return (
        f"(case when {balance} >= %(need)s"
        f" then greatest(%(cost)s, least(%(want)s, {balance})) else 0 end)"
    )


_REFILLED = (
    "least(%(cap)s, b.tokens + %(rate)s"
    " * greatest(0, extract(epoch from statement_timestamp() - b.updated)::float8))"
)
LEASE_SQL = f"""
insert into quota_buckets as b (key_sha256, bucket, tokens, refilled, updated)
values (%(key)s, %(bucket)s, %(cap)s - {_grant("%(cap)s")}, %(cap)s, statement_timestamp())
on conflict (key_sha256, bucket) do update set
    tokens = {_REFILLED} - {_grant(_REFILLED)},
    refilled = {_REFILLED},
    updated = greatest(b.updated, statement_timestamp())
returning tokens, refilled
"""


@dataclass(frozen=True)
class LeaseRequest:
    """Take at least `cost` and up to `want` tokens if the refilled row holds `need`."""

    key_sha256: str
    bucket: str  # "events" or "requests"
    rate: float  # tokens per second
    capacity: float
    cost: float
    need: float
    want: float


@dataclass(frozen=True)
class LeaseAnswer:
    """The row's balance after its refill and before the grant, and after the grant."""

    refilled: float
    tokens: float

    def admitted(self, request: LeaseRequest) -> bool:
        return self.refilled >= request.need  # the statement's own test, on its own figures

    @property
    def granted(self) -> float:
        return self.refilled - self.tokens


class PostgresQuotaRows:
    """The `quota_buckets` table, reached through one connection on one worker thread."""

    def __init__(self, url: str, statement_timeout_ms: int, connect_timeout_s: int = 2) -> None:
        self._url = url
        self._statement_timeout_ms = max(1, statement_timeout_ms)
        self._connect_timeout_s = connect_timeout_s
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="quota-rows")
        self._conn: Any = None  # touched only on the worker thread
        self._closed = threading.Event()
        # connect and create the table before the first request needs them
        self._warm_up_done = self._worker.submit(self._warm_up)

    def lease(self, request: LeaseRequest) -> Future[LeaseAnswer]:
        """The row's answer, later; raises (in the future) whatever Postgres raised."""
        return self._worker.submit(self._lease, request)

    def wait_ready(self, timeout_s: float) -> bool:
        """Whether the first connection is open (or failed) within `timeout_s`."""
        try:
            self._warm_up_done.result(timeout_s)
        except TimeoutError:
            return False
        return self._conn is not None

    def close(self) -> None:
        self._closed.set()
        self._worker.submit(self._disconnect)
        self._worker.shutdown(wait=False, cancel_futures=True)

    def _warm_up(self) -> None:
        try:
            self._connection()
        except Exception as exc:  # the first lease tries again; admission falls back meanwhile
            log.warning("shared quota store unreachable at startup: %s", type(exc).__name__)

    def _lease(self, request: LeaseRequest) -> LeaseAnswer:
        params = {
            "key": request.key_sha256,
            "bucket": request.bucket,
            "rate": float(request.rate),
            "cap": float(request.capacity),
            "cost": float(request.cost),
            "need": float(request.need),
            "want": float(request.want),
        }
        try:
            with self._connection().cursor() as cur:
                cur.execute(LEASE_SQL, params, prepare=True)
                tokens, refilled = cur.fetchone()
        except Exception:
            self._disconnect()  # a fresh connection for the next lease
            raise
        return LeaseAnswer(refilled=refilled, tokens=tokens)

    def _connection(self) -> Any:
        import psycopg  # only this backend needs the driver

        if self._closed.is_set():
            raise RuntimeError("quota rows closed")
        if self._conn is None or self._conn.closed:
            conn = psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=self._connect_timeout_s,
                # a peer that vanished without a reset: the socket errors instead of hanging
                tcp_user_timeout=max(1000, self._statement_timeout_ms),
            )
            # replicas start together: concurrent `create table if not exists` can collide in
            # Postgres's catalog, so the first one creates it under a lock and the rest wait
            conn.execute(f"select pg_advisory_xact_lock({SCHEMA_LOCK}); {SCHEMA}")
            # then the server gives up on a lease the caller has stopped waiting for
            conn.execute(f"set statement_timeout = {self._statement_timeout_ms}")
            self._conn = conn
        return self._conn

    def _disconnect(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
