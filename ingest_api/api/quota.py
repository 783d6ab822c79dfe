"""Per-key quotas at the door of `/v1/logs` and `/v1/traces`: 429 with `Retry-After`.

A request first pays one token of its key's requests bucket, and is refused before its body is
read when the events bucket is already in debt; once its events are counted (after validation,
before the commit) they are charged to the events bucket, so a refused request stores nothing
and the client can resend it whole. Other keys, and other projects, are unaffected.

With the key store on Postgres the buckets are shared by every replica (`shared_quota.py`);
otherwise, or while that store is unreachable, the replica's own buckets decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from ingest_api.api.dependencies import AuthenticatedProject, IngestStateDep, presented_key
from ingest_api.api.errors import RequestRefused
from ingest_api.api.rate_limit import KeyBuckets, KeyQuotas, retry_after
from ingest_api.api.shared_quota import SharedQuotas
from ingest_api.keys.store import hash_key
from ingest_api.metrics import IngestMetrics

QUOTA_CODE = "rate_limited"
_ROUTES = {"/v1/logs": "logs", "/v1/traces": "traces"}


@dataclass
class Admission:
    """An authenticated request inside its key's request quota; charges its events later."""

    project_id: str
    route: str
    buckets: KeyBuckets | None
    quotas: KeyQuotas
    metrics: IngestMetrics
    shared: SharedQuotas | None = None
    key_sha256: str = ""

    async def admit(self) -> None:
        """Take one request and check the events bucket is not in debt, before the body is read;
        raises a 429 refusal with `Retry-After` when the key is over either."""
        self.buckets = buckets = self.quotas.buckets_by_digest(self.key_sha256, self.project_id)
        if buckets is None:
            return
        if self.shared is not None:
            limit, wait = "requests", await self._take_shared(buckets, "requests", 1)
            if wait == 0.0:  # cost 0: only check that one event could be admitted
                limit, wait = "events", await self._take_shared(buckets, "events", 0)
        else:
            now = self.quotas.now()
            limit, wait = "requests", buckets.requests.take(1, now)
            if wait == 0.0:
                limit, wait = "events", buckets.events.wait_seconds(1, now)
        if wait > 0:
            self.metrics.quota_refusals.labels(self.project_id, limit, self.route).inc()
            raise RequestRefused(
                429,
                QUOTA_CODE,
                f"this API key is over its {limit} quota; retry after Retry-After seconds",
                {"Retry-After": retry_after(wait)},
            )

    async def _take_shared(self, buckets: KeyBuckets, bucket: str, cost: float) -> float:
        assert self.shared is not None
        return await self.shared.take(self.key_sha256, buckets, bucket, cost, self.metrics)

    async def charge_events(self, count: int) -> str | None:
        """Take `count` events from the key's bucket: None if admitted, else `Retry-After`."""
        if self.buckets is None or count == 0:
            return None
        if self.shared is not None:
            wait = await self._take_shared(self.buckets, "events", count)
        else:
            wait = self.buckets.events.take(count, self.quotas.now())
        if wait == 0.0:
            return None
        self.metrics.quota_refusals.labels(self.project_id, "events", self.route).inc()
        self.metrics.quota_refused_events.labels(self.project_id).inc(count)
        return retry_after(wait)


def get_quotas(request: Request) -> KeyQuotas:
    """The app's buckets (`create_app` makes them once per app)."""
    return request.app.state.quotas


def get_shared_quotas(request: Request) -> SharedQuotas | None:
    """The buckets shared with the other replicas (the lifespan opens them), if any."""
    return getattr(request.app.state, "shared_quotas", None)


async def admitted(
    request: Request, state: IngestStateDep, project_id: AuthenticatedProject
) -> Admission:
    """The request's project, or a 429 refusal with `Retry-After` when its key is over quota."""
    route = _ROUTES.get(request.url.path, request.url.path)
    quotas = get_quotas(request)
    # no quota set (the default): no bucket is looked up, so the key is not hashed again
    digest = hash_key(presented_key(request) or "") if quotas.enabled else ""
    admission = Admission(
        project_id, route, None, quotas, state.metrics, get_shared_quotas(request), digest
    )
    await admission.admit()
    return admission


Admitted = Annotated[Admission, Depends(admitted)]
