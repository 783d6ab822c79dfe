"""Per-key quotas at the door of `/v1/logs` and `/v1/traces`: 429 with `Retry-After`.

A request first pays one token of its key's requests bucket, and is refused before its body is
read when the events bucket is already in debt; once its events are counted (after validation,
before the commit) they are charged to the events bucket, so a refused request stores nothing
and the client can resend it whole. Other keys, and other projects, are unaffected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from ingest_api.api.dependencies import AuthenticatedProject, IngestStateDep, presented_key
from ingest_api.api.errors import RequestRefused
from ingest_api.api.rate_limit import KeyBuckets, KeyQuotas, retry_after
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

    def charge_events(self, count: int) -> str | None:
        """Take `count` events from the key's bucket: None if admitted, else `Retry-After`."""
        if self.buckets is None or count == 0:
            return None
        wait = self.buckets.events.take(count, self.quotas.now())
        if wait == 0.0:
            return None
        self.metrics.quota_refusals.labels(self.project_id, "events", self.route).inc()
        self.metrics.quota_refused_events.labels(self.project_id).inc(count)
        return retry_after(wait)


def get_quotas(request: Request) -> KeyQuotas:
    """The app's buckets (`create_app` makes them once per app)."""
    return request.app.state.quotas


async def admitted(
    request: Request, state: IngestStateDep, project_id: AuthenticatedProject
) -> Admission:
    """The request's project, or a 429 refusal with `Retry-After` when its key is over quota."""
    quotas = get_quotas(request)
    route = _ROUTES.get(request.url.path, request.url.path)
    buckets = quotas.buckets(presented_key(request) or "", project_id)
    if buckets is not None:
        now = quotas.now()
        limit, wait = "requests", buckets.requests.take(1, now)
        if wait == 0.0:
            limit, wait = "events", buckets.events.wait_seconds(1, now)
        if wait > 0:
            state.metrics.quota_refusals.labels(project_id, limit, route).inc()
            raise RequestRefused(
                429,
                QUOTA_CODE,
                f"this API key is over its {limit} quota; retry after Retry-After seconds",
                {"Retry-After": retry_after(wait)},
            )
    return Admission(project_id, route, buckets, quotas, state.metrics)


Admitted = Annotated[Admission, Depends(admitted)]
