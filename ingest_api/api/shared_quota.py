"""Per-key quotas shared by every ingest replica of one Postgres key store: leased tokens.

Two designs were weighed, and measured (`bench/quota_overhead.py`, docs/tenancy.md):

- one atomic statement per admission against the key's bucket row (`quota_rows.LEASE_SQL`
  with nothing leased ahead, `quota_lease_seconds=0`): exact, but three statements per request
  (the request token, the events check, the events charge), ~1.5 ms per request here against
  ~8 us for in-memory buckets;
- chosen: each replica leases tokens from the same row in chunks (up to `lease_seconds` of the
  key's rate, at most its burst) and spends them in memory. The row is still changed only by
  that one atomic statement, refilled from the server's clock, so every token admitted was
  taken from the shared bucket: replicas never over-admit the rate. What they may hold unspent
  is at most one chunk each, so over any window N replicas admit at most the quota (burst +
  rate x window) plus N chunks. A key within its quota costs a statement per chunk (0.01 per
  request in the bench, ~25 us per request). Every wait for the row is awaited, never held on
  the event loop. A key over its quota is refused from memory until the row can have refilled.

A lease waits for Postgres at most `timeout_s`. When it fails or times out the replica's own
bucket (`rate_limit.KeyQuotas`) decides, as with one replica, for `RETRY_SECONDS` before the
store is tried again; both are counted in `/metrics`. Tokens still leased stay this replica's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ingest_api.api.rate_limit import KeyBuckets, KeyQuotas, Limit, TokenBucket
from ingest_api.keys.quota_rows import LeaseAnswer, LeaseRequest, PostgresQuotaRows
from ingest_api.metrics import IngestMetrics
from ollive_contract.settings import IngestSettings

log = logging.getLogger(__name__)
RETRY_SECONDS = 2.0  # after a failed lease, the local buckets decide this long without trying


@dataclass
class Lease:
    """Tokens this replica took from a shared row and has not spent yet."""

    tokens: float = 0.0
    refilling: bool = False  # a chunk is on its way: concurrent asks take only their cost
    # the row's balance after the last lease, and when (local clock) that lease was sent: only
    # time adds tokens to a row, so it cannot hold more than that plus the refill since
    row_tokens: float = float("inf")
    row_seen: float = 0.0

    def row_at_most(self, limit: Limit, now: float) -> float:
        refill = limit.per_second * max(0.0, now - self.row_seen)
        return min(capacity(limit), self.row_tokens + refill)


@dataclass(frozen=True)
class Ask:
    """One admission's ask of one bucket, split between the lease and the shared row."""

    lease: Lease
    held: float  # the lease's tokens, set aside while the row answers
    cost: float
    request: LeaseRequest
    prefetching: bool
    sent: float  # local clock


def need_for(cost: float, limit: Limit) -> float:
    """Tokens that must be there to admit `cost`: a check (cost 0) needs one, and a cost above
    the capacity needs a full bucket (then leaves it in debt), as `TokenBucket` does."""
    return 1.0 if cost == 0 else min(cost, capacity(limit))


def capacity(limit: Limit) -> float:
    return max(limit.burst, 1.0)


def plan(
    lease: Lease,
    key_sha256: str,
    bucket: str,
    limit: Limit,
    cost: float,
    lease_seconds: float,
    now: float,
) -> Ask | float:
    """What to ask the row for (the part of `cost` the lease lacks, plus a chunk to spend
    later), or the decision without asking: 0 when the lease covers the ask (it is spent here),
    the seconds to wait when the row cannot hold the rest yet (a key hammering over its quota
    costs no round trip per refusal)."""
    need = need_for(cost, limit)
    if lease.tokens >= max(cost, need):
        lease.tokens -= cost
        return 0.0
    short = need - lease.tokens - lease.row_at_most(limit, now)
    if short > 0:
        return short / limit.per_second
    held, lease.tokens = lease.tokens, 0.0
    prefetching = not lease.refilling and lease_seconds > 0
    chunk = min(capacity(limit), limit.per_second * lease_seconds) if prefetching else 0.0
    lease.refilling = lease.refilling or prefetching
    remote_cost = max(0.0, cost - held)
    request = LeaseRequest(
        key_sha256,
        bucket,
        rate=limit.per_second,
        capacity=capacity(limit),
        cost=remote_cost,
        need=need - held,
        want=remote_cost + chunk,
    )
    return Ask(lease, held, cost, request, prefetching, now)


def settle(ask: Ask, answer: LeaseAnswer | None) -> float:
    """Put the row's answer into the lease: 0 when admitted, else the seconds to wait. No answer
    (the store failed) gives the held tokens back and returns 0; the caller decides locally."""
    lease = ask.lease
    if ask.prefetching:
        lease.refilling = False
    if answer is None:
        lease.tokens += ask.held
        return 0.0
    lease.row_tokens, lease.row_seen = answer.tokens, ask.sent
    if answer.admitted(ask.request):
        lease.tokens += ask.held + answer.granted - ask.cost
        return 0.0
    lease.tokens += ask.held
    return (ask.request.need - answer.refilled) / ask.request.rate


@dataclass
class SharedQuotas:
    """The leases of every key seen by this replica, over the rows every replica shares."""

    local: KeyQuotas  # the limits, and the buckets that decide while the store is unreachable
    rows: PostgresQuotaRows
    lease_seconds: float
    timeout_s: float
    clock: Callable[[], float] = time.monotonic
    _leases: dict[tuple[str, str], Lease] = field(default_factory=dict)
    _retry_at: float = float("-inf")

    async def take(
        self, key_sha256: str, buckets: KeyBuckets, bucket: str, cost: float, metrics: IngestMetrics
    ) -> float:
        """Take `cost` tokens of the key's `bucket` (0: only check it holds one): the seconds
        to wait, 0 when admitted. Waits for the row without holding the event loop."""
        ask = self._ask(key_sha256, buckets, bucket, cost)
        if not isinstance(ask, Ask):
            return ask
        if not self._store_up():
            return self._local(ask, buckets, bucket, metrics)
        try:
            future = self.rows.lease(ask.request)
            answer = await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
        except asyncio.CancelledError:  # the request itself was cancelled
            settle(ask, None)
            raise
        except Exception as exc:  # unreachable, timed out, refused: decide locally
            return self._failed(exc, ask, buckets, bucket, metrics)
        return settle(ask, answer)

    def close(self) -> None:
        self.rows.close()

    def _ask(self, key_sha256: str, buckets: KeyBuckets, bucket: str, cost: float) -> Ask | float:
        limit = _bucket(buckets, bucket).limit
        if not limit.enabled:
            return 0.0
        lease = self._leases.setdefault((key_sha256, bucket), Lease())
        return plan(lease, key_sha256, bucket, limit, cost, self.lease_seconds, self.clock())

    def _store_up(self) -> bool:
        return self.clock() >= self._retry_at

    def _failed(
        self, exc: Exception, ask: Ask, buckets: KeyBuckets, bucket: str, m: IngestMetrics
    ) -> float:
        m.quota_store_errors.inc()
        self._retry_at = self.clock() + RETRY_SECONDS
        log.warning(
            "shared quota store %s; this replica's buckets decide for %.0f s",
            "timed out" if isinstance(exc, TimeoutError) else f"failed ({type(exc).__name__})",
            RETRY_SECONDS,
        )
        return self._local(ask, buckets, bucket, m)

    def _local(self, ask: Ask, buckets: KeyBuckets, bucket: str, m: IngestMetrics) -> float:
        settle(ask, None)
        m.quota_local_decisions.labels(buckets.project_id).inc()
        local = _bucket(buckets, bucket)
        now = self.local.now()
        return local.take(ask.cost, now) if ask.cost else local.wait_seconds(1, now)


def _bucket(buckets: KeyBuckets, name: str) -> TokenBucket:
    return buckets.events if name == "events" else buckets.requests


def open_shared_quotas(settings: IngestSettings, local: KeyQuotas) -> SharedQuotas | None:
    """Shared buckets when the key store is on Postgres and some project has a quota; else
    None, and the in-memory buckets decide alone (no Postgres round trip per request)."""
    if settings.keys_database_url is None or not local.enabled:
        return None
    timeout_ms = settings.quota_store_timeout_ms
    rows = PostgresQuotaRows(settings.keys_database_url.get_secret_value(), int(timeout_ms))
    return SharedQuotas(local, rows, settings.quota_lease_seconds, timeout_ms / 1000)
