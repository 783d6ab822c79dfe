"""Per-key quotas as token buckets: a rate that refills, a burst that caps the refill.

These buckets live in the replica's memory: they decide alone when the key store is SQLite (one
machine, one replica), and stand in for the shared buckets of a Postgres key store while that
store is unreachable (`shared_quota.py`; docs/tenancy.md). Buckets are keyed by a digest of the
API key, never the key itself, and exist only for keys the key store accepted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ingest_api.keys.store import hash_key
from ollive_contract.settings import IngestSettings


@dataclass(frozen=True)
class Limit:
    """A sustained rate (per second; 0 = unlimited) and the burst allowed above it."""

    per_second: float
    burst: float

    @property
    def enabled(self) -> bool:
        return self.per_second > 0


@dataclass
class TokenBucket:
    """`limit.burst` tokens at most, refilled at `limit.per_second`; a cost larger than the
    burst is admitted from a full bucket and leaves it in debt, so the long-run rate holds."""

    limit: Limit
    tokens: float
    updated: float

    @classmethod
    def full(cls, limit: Limit, now: float) -> TokenBucket:
        return cls(limit, max(limit.burst, 1.0), now)

    def wait_seconds(self, cost: float, now: float) -> float:
        """How long until `cost` would be admitted (0: now); takes nothing."""
        if not self.limit.enabled:
            return 0.0
        capacity = max(self.limit.burst, 1.0)
        self.tokens = min(capacity, self.tokens + (now - self.updated) * self.limit.per_second)
        self.updated = now
        need = min(cost, capacity)
        return 0.0 if self.tokens >= need else (need - self.tokens) / self.limit.per_second

    def take(self, cost: float, now: float) -> float:
        """Admit `cost` and take it (returns 0), or take nothing and return the wait."""
        wait = self.wait_seconds(cost, now)
        if wait == 0.0 and self.limit.enabled:
            self.tokens -= cost
        return wait


def retry_after(wait_seconds: float) -> str:
    """A `Retry-After` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_seconds)))


@dataclass(frozen=True)
class ProjectLimits:
    """The limits every key of one project gets."""

    events: Limit
    requests: Limit

    @property
    def enabled(self) -> bool:
        return self.events.enabled or self.requests.enabled


@dataclass
class KeyBuckets:
    """One key's buckets; the events bucket is charged once a request's events are counted."""

    project_id: str
    events: TokenBucket
    requests: TokenBucket


@dataclass
class KeyQuotas:
    """The buckets of every key seen, with each project's limits from the settings."""

    defaults: ProjectLimits
    overrides: dict[str, ProjectLimits] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, KeyBuckets] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls, settings: IngestSettings, clock: Callable[[], float] = time.monotonic
    ) -> KeyQuotas:
        base = {
            "events_per_second": settings.quota_events_per_second,
            "events_burst": settings.quota_events_burst,
            "requests_per_second": settings.quota_requests_per_second,
            "requests_burst": settings.quota_requests_burst,
        }
        overrides = {
            project: _limits(base | fields) for project, fields in settings.quota_overrides.items()
        }
        return cls(_limits(base), overrides, clock)

    def limits_for(self, project_id: str) -> ProjectLimits:
        return self.overrides.get(project_id, self.defaults)

    @property
    def enabled(self) -> bool:
        """Whether any project has a limit (off: no bucket is ever made)."""
        return self.defaults.enabled or any(p.enabled for p in self.overrides.values())

    def buckets(self, api_key: str, project_id: str) -> KeyBuckets | None:
        """The key's buckets (made full on first use), or None when its project is unlimited."""
        return self.buckets_by_digest(hash_key(api_key), project_id)

    def buckets_by_digest(self, digest: str, project_id: str) -> KeyBuckets | None:
        """`buckets`, for a key known by its digest (`hash_key`, as the key store keeps it)."""
        limits = self.limits_for(project_id)
        if not limits.enabled:
            return None
        buckets = self._buckets.get(digest)
        if buckets is None or buckets.project_id != project_id:
            now = self.clock()
            buckets = KeyBuckets(
                project_id,
                TokenBucket.full(limits.events, now),
                TokenBucket.full(limits.requests, now),
            )
            self._buckets[digest] = buckets
        return buckets

    def now(self) -> float:
        return self.clock()


def _limits(fields: dict[str, float]) -> ProjectLimits:
    return ProjectLimits(
        events=Limit(fields["events_per_second"], fields["events_burst"]),
        requests=Limit(fields["requests_per_second"], fields["requests_burst"]),
    )
