"""Leases from a shared bucket (`shared_quota.plan`/`settle`): what a replica asks the row for,
what it keeps, and the bound on N replicas together. The row here is the statement's arithmetic
(`quota_rows.LEASE_SQL`) on a fake clock; the SQL itself runs on a real PostgreSQL in
tests/integration/production/test_shared_quota.py."""

from __future__ import annotations

import itertools

import pytest

from ingest_api.api.rate_limit import KeyQuotas, Limit
from ingest_api.api.shared_quota import Ask, Lease, open_shared_quotas, plan, settle
from ingest_api.keys.quota_rows import LeaseAnswer, LeaseRequest
from ollive_contract.settings import IngestSettings


class Row:
    """One shared bucket row, as `LEASE_SQL` changes it (starts full on first use)."""

    def __init__(self) -> None:
        self.tokens: float | None = None
        self.updated = 0.0

    def lease(self, request: LeaseRequest, now: float) -> LeaseAnswer:
        if self.tokens is None:
            refilled = request.capacity
        else:
            elapsed = max(0.0, now - self.updated)
            refilled = min(request.capacity, self.tokens + elapsed * request.rate)
        grant = 0.0
        if refilled >= request.need:
            grant = max(request.cost, min(request.want, refilled))
        self.tokens, self.updated = refilled - grant, max(self.updated, now)
        return LeaseAnswer(refilled=refilled, tokens=self.tokens)


class Counted(Row):
    def __init__(self) -> None:
        super().__init__()
        self.leases = 0

    def lease(self, request: LeaseRequest, now: float) -> LeaseAnswer:
        self.leases += 1
        return super().lease(request, now)


def take(lease: Lease, row: Row, limit: Limit, cost: float, now: float, lease_s: float) -> float:
    ask = plan(lease, "digest", "events", limit, cost, lease_s, now)
    return settle(ask, row.lease(ask.request, now)) if isinstance(ask, Ask) else ask


def ask_of(lease: Lease, cost: float, lease_s: float, now: float = 0.0) -> Ask:
    ask = plan(lease, "digest", "events", LIMIT, cost, lease_s, now)
    assert isinstance(ask, Ask)
    return ask


LIMIT = Limit(per_second=100, burst=500)


def test_the_first_ask_takes_its_cost_plus_a_chunk_and_the_next_ones_spend_it_locally() -> None:
    lease = Lease()
    ask = ask_of(lease, 30, lease_s=0.2)
    assert (ask.request.cost, ask.request.need, ask.request.want) == (30, 30, 30 + 20)
    assert settle(ask, Row().lease(ask.request, now=0.0)) == 0.0
    assert lease.tokens == pytest.approx(20)  # 0.2 s of the rate, kept for later
    assert plan(lease, "digest", "events", LIMIT, 15, 0.2, now=0.0) == 0.0  # no round trip
    assert lease.tokens == pytest.approx(5)


def test_an_ask_the_lease_half_covers_asks_the_row_only_for_the_rest() -> None:
    lease = Lease(tokens=5)
    ask = ask_of(lease, 30, lease_s=0)
    assert lease.tokens == 0  # held while the row answers
    assert (ask.request.cost, ask.request.need, ask.request.want) == (25, 25, 25)
    assert settle(ask, None) == 0.0  # the store failed: the held tokens come back
    assert lease.tokens == 5


def test_a_refusal_keeps_the_lease_and_waits_for_the_missing_tokens() -> None:
    row, lease = Row(), Lease()
    assert take(lease, row, LIMIT, 500, now=0.0, lease_s=0.2) == 0.0  # the whole burst
    assert take(lease, row, LIMIT, 50, now=0.1, lease_s=0.2) == pytest.approx(0.4)  # 10 of 50
    assert lease.tokens == 0
    assert take(lease, row, LIMIT, 50, now=0.5, lease_s=0.2) == 0.0


def test_after_a_refusal_the_replica_refuses_without_asking_until_the_row_can_have_refilled():
    row, lease = Counted(), Lease()
    assert take(lease, row, LIMIT, 500, now=0.0, lease_s=0.2) == 0.0
    assert take(lease, row, LIMIT, 50, now=0.1, lease_s=0.2) == pytest.approx(0.4)
    asked = row.leases
    # only time refills a row: it cannot hold 50 before t=0.5, so no round trip till then
    assert take(lease, row, LIMIT, 50, now=0.3, lease_s=0.2) == pytest.approx(0.2)
    assert take(lease, row, LIMIT, 0, now=0.3, lease_s=0.2) == 0.0  # 20 there: one is enough
    assert row.leases == asked + 1
    assert take(lease, row, LIMIT, 50, now=0.6, lease_s=0.2) == 0.0
    assert row.leases == asked + 2


def test_a_batch_over_the_burst_is_admitted_from_a_full_row_into_debt() -> None:
    row, lease = Row(), Lease()
    assert take(lease, row, LIMIT, 2000, now=0.0, lease_s=0.2) == 0.0
    # the check before a body is read (cost 0) needs one token: 1,500 of debt + 1 at 100/s
    assert take(lease, row, LIMIT, 0, now=0.0, lease_s=0.2) == pytest.approx(15.01)
    assert take(lease, row, LIMIT, 0, now=15.1, lease_s=0.2) == 0.0


def test_while_a_chunk_is_on_its_way_other_asks_take_only_their_cost() -> None:
    lease = Lease()
    first, second = ask_of(lease, 10, 0.2), ask_of(lease, 10, 0.2)
    assert first.request.want == 30 and second.request.want == 10
    row = Row()
    settle(second, row.lease(second.request, 0.0))
    settle(first, row.lease(first.request, 0.0))
    assert lease.tokens == pytest.approx(20) and not lease.refilling


@pytest.mark.parametrize("replicas", [2, 4])
def test_n_replicas_together_stay_within_the_quota_plus_one_chunk_each(replicas: int) -> None:
    """A key over its quota, its requests spread round-robin over N replicas for 10 s: admitted
    is at most burst + rate x 10 s + N chunks, and at least that less N chunks (what the
    replicas still hold); a bucket per replica would admit N times as much."""
    limit, lease_s, seconds, batch = Limit(per_second=50, burst=100), 0.2, 10.0, 7
    row, leases = Row(), [Lease() for _ in range(replicas)]
    admitted, now = 0.0, 0.0
    for i in itertools.count():
        now = i * 0.01  # 700 events/s offered, 14 times the rate
        if now > seconds:
            break
        lease = leases[i % replicas]
        checked = take(lease, row, limit, 0, now, lease_s) == 0.0  # before the body is read
        if checked and take(lease, row, limit, batch, now, lease_s) == 0.0:
            admitted += batch
    quota, chunk = limit.burst + limit.per_second * seconds, limit.per_second * lease_s
    assert admitted <= quota + replicas * chunk
    assert admitted >= quota - replicas * chunk - batch
    assert sum(lease.tokens for lease in leases) <= replicas * chunk


def test_the_lease_and_the_store_timeout_are_settings() -> None:
    settings = IngestSettings()
    assert settings.quota_lease_seconds == 0.2 and settings.quota_store_timeout_ms == 100
    assert IngestSettings(quota_lease_seconds=0).quota_lease_seconds == 0  # a lease per ask


def test_shared_buckets_only_with_a_postgres_key_store_and_a_quota_on() -> None:
    """Quotas off (the default): no shared store, so no Postgres round trip per request; a
    SQLite key store (one replica): the in-memory buckets."""
    url = "postgresql://ollive:secret@127.0.0.1:1/ingest"  # never connected to here
    off = IngestSettings(keys_database_url=url)
    assert open_shared_quotas(off, KeyQuotas.from_settings(off)) is None
    one_project = IngestSettings(
        keys_database_url=url, quota_overrides={"acme": {"requests_per_second": 5}}
    )
    assert KeyQuotas.from_settings(one_project).enabled  # so that one would be shared
    sqlite = IngestSettings(quota_events_per_second=10)
    assert open_shared_quotas(sqlite, KeyQuotas.from_settings(sqlite)) is None
