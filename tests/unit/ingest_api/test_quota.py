"""Per-key token buckets: burst, refill, debt for a batch larger than the burst, per-key and
per-project independence, and the settings that configure them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ingest_api.api.rate_limit import KeyQuotas, Limit, TokenBucket, retry_after
from ollive_contract.settings import IngestSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_the_rate() -> None:
    bucket = TokenBucket.full(Limit(per_second=10, burst=50), now=0.0)
    assert bucket.take(50, now=0.0) == 0.0
    # empty: 5 events need half a second of refill, and nothing is taken meanwhile
    assert bucket.take(5, now=0.0) == pytest.approx(0.5)
    assert bucket.take(5, now=0.25) == pytest.approx(0.25)
    assert bucket.take(5, now=0.5) == 0.0
    assert bucket.take(1, now=0.5) == pytest.approx(0.1)
    # refill stops at the burst
    assert bucket.take(50, now=100.0) == 0.0
    assert bucket.take(1, now=100.0) > 0


def test_a_batch_larger_than_the_burst_is_admitted_from_a_full_bucket_into_debt() -> None:
    bucket = TokenBucket.full(Limit(per_second=10, burst=50), now=0.0)
    assert bucket.take(200, now=0.0) == 0.0  # never refused forever
    # 150 tokens of debt plus the 1 asked: 15.1 s at 10/s, so the long-run rate holds
    assert bucket.wait_seconds(1, now=0.0) == pytest.approx(15.1)
    assert bucket.take(10, now=5.0) == pytest.approx(11.0)
    assert bucket.take(10, now=16.0) == 0.0


def test_rate_zero_is_unlimited() -> None:
    bucket = TokenBucket.full(Limit(per_second=0, burst=1), now=0.0)
    assert all(bucket.take(10**6, now=0.0) == 0.0 for _ in range(100))


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    assert [retry_after(w) for w in (0.01, 1.0, 1.2, 14.9)] == ["1", "1", "2", "15"]


def test_each_key_has_its_own_buckets_and_each_project_its_limits() -> None:
    clock = Clock()
    settings = IngestSettings(
        quota_events_per_second=1,
        quota_events_burst=10,
        quota_overrides={"bulk": {"events_burst": 1000}, "free": {"events_per_second": 0}},
    )
    quotas = KeyQuotas.from_settings(settings, clock)
    first = quotas.buckets("olk_first", "acme")
    second = quotas.buckets("olk_second", "acme")
    bulk = quotas.buckets("olk_bulk", "bulk")
    assert first is not None and second is not None and bulk is not None
    assert first.events.take(10, clock.now) == 0.0
    assert first.events.take(1, clock.now) > 0  # the first key is out ...
    assert second.events.take(10, clock.now) == 0.0  # ... the second is not
    assert bulk.events.take(1000, clock.now) == 0.0  # its project's burst, the default rate
    assert bulk.events.limit == Limit(per_second=1, burst=1000)
    assert quotas.buckets("olk_free", "free") is None  # its project has no limit
    assert quotas.buckets("olk_first", "acme") is first  # the same buckets on the next request
    assert not any("olk_" in digest for digest in quotas._buckets), "keyed by digest, not key"


def test_quotas_are_off_by_default() -> None:
    quotas = KeyQuotas.from_settings(IngestSettings())
    assert quotas.buckets("olk_any", "demo") is None


def test_overrides_name_known_fields_only(monkeypatch) -> None:
    monkeypatch.setenv(
        "OLLIVE_INGEST_QUOTA_OVERRIDES",
        '{"acme": {"events_per_second": 5000, "requests_burst": 9}}',
    )
    assert IngestSettings().quota_overrides == {
        "acme": {"events_per_second": 5000, "requests_burst": 9}
    }
    with pytest.raises(ValidationError, match="unknown"):
        IngestSettings(quota_overrides={"acme": {"events_per_minute": 5}})
    with pytest.raises(ValidationError, match="negative"):
        IngestSettings(quota_overrides={"acme": {"events_per_second": -1}})
