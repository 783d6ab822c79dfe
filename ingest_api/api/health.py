"""Liveness, readiness and the Prometheus scrape endpoint."""

from __future__ import annotations

import time

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ingest_api.api.dependencies import IngestStateDep
from ingest_api.api.json_response import JSONBytes
from ingest_api.state import IngestState

router = APIRouter()
_PING_TTL_SECONDS = 1.0


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness")
async def readyz(state: IngestStateDep) -> JSONBytes:
    """Ready when acks can be durable: the store answers, or the spool has room (degraded)."""
    store_up = await _store_up(state)
    depth = state.spool.depth()
    state.metrics.spool_depth.set(depth)
    ready = store_up or state.spool.has_room()
    body = {
        "status": "ok" if store_up and ready else ("degraded" if ready else "unavailable"),
        "store": "up" if store_up else "down",
        "spool_objects": depth,
        "spool_bytes": state.spool.bytes,
        "spool_max_bytes": state.spool.max_bytes,
    }
    return JSONBytes(body, status_code=200 if ready else 503)


async def _store_up(state: IngestState) -> bool:
    # cache the ping briefly so frequent probes do not turn into a HEAD storm on the store
    cached = state.store_ping
    now = time.monotonic()
    if cached is not None and now - cached[0] < _PING_TTL_SECONDS:
        return cached[1]
    up = await state.store.run(state.store.ping)
    state.store_ping = (now, up)
    return up


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(state: IngestStateDep) -> Response:
    state.metrics.spool_bytes.set(state.spool.bytes)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
