"""`POST /v1/logs`: authenticate, decode, validate per event, redact, group-commit, then ack."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from ingest_api.api.dependencies import IngestStateDep, get_state
from ingest_api.api.errors import (
    ErrorResult,
    RejectedEvent,
    RequestRefused,
    error_response,
    rejected_item,
)
from ingest_api.api.json_response import JSONBytes
from ingest_api.api.quota import QUOTA_CODE, Admission, Admitted
from ingest_api.intake.body import JSON_TYPES, NDJSON_TYPES, BodyError, media_type, read_limited
from ingest_api.intake.prepare import prepare
from ingest_api.state import IngestState
from ingest_api.storage.spool import SpoolFull

router = APIRouter()


class IngestResult(BaseModel):
    """Answer to an accepted request: every accepted event is durable."""

    accepted: int
    rejected: list[RejectedEvent]


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": 'A JSON array of events, `{"events": [...]}`, or NDJSON; '
        "optionally `Content-Encoding: gzip`. Schema: ollive_contract/event.v1.schema.json.",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}
_ERRORS = {
    status: {"model": ErrorResult, "description": text}
    for status, text in {
        400: "Body unreadable (bad JSON, bad gzip, wrong shape, empty).",
        401: "Missing or unknown API key.",
        413: "Body, decompressed body or event count over its limit.",
        415: "Content-Type or Content-Encoding not supported.",
        422: "No event in the request was valid; `rejected` says why for each.",
        429: "The API key is over its quota; nothing was stored, retry after `Retry-After`.",
        503: "Store down and spool full; retry after `Retry-After` seconds.",
    }.items()
}


@router.post(
    "/v1/logs",
    status_code=202,
    response_model=IngestResult,
    responses=_ERRORS,
    openapi_extra=_BODY_DOC,
    summary="Ingest a batch of events",
)
async def ingest(request: Request, state: IngestStateDep, admission: Admitted) -> JSONBytes:
    """Accepts events; 202 means every accepted event is stored or durably spooled."""
    started = time.perf_counter()
    received_at = datetime.now(UTC)
    response = await _ingest(request, state, admission, received_at)
    state.metrics.requests.labels(str(response.status_code)).inc()
    if response.status_code == 202:
        state.metrics.ack_seconds.observe(time.perf_counter() - started)
    return response


async def answer_refused(request: Request, exc: RequestRefused) -> JSONBytes:
    """A refusal by a dependency of the route (a bad key), counted like the route's answers."""
    state = await get_state(request)
    state.metrics.requests.labels(str(exc.status)).inc()
    return error_response(exc.status, exc.code, exc.message, **exc.headers)


async def _ingest(
    request: Request, state: IngestState, admission: Admission, received_at: datetime
) -> JSONBytes:
    cfg = state.settings
    kind = media_type(request.headers.get("content-type"))
    if kind not in JSON_TYPES and kind not in NDJSON_TYPES:
        return error_response(
            415, "unsupported_media_type", "use application/json or application/x-ndjson"
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cfg.max_body_bytes:
        return error_response(
            413, "body_too_large", f"request body exceeds {cfg.max_body_bytes} bytes"
        )
    try:
        body = await read_limited(request.stream(), cfg.max_body_bytes)
    except BodyError as exc:
        return error_response(exc.status, exc.code, exc.message)
    loop = asyncio.get_running_loop()
    headers = request.headers
    try:
        prepared = await loop.run_in_executor(
            state.cpu,
            prepare,
            body,
            headers.get("content-encoding"),
            headers.get("content-type"),
            received_at,
            admission.project_id,
        )
    except BodyError as exc:
        state.metrics.rejected.labels(exc.code).inc()
        return error_response(exc.status, exc.code, exc.message)
    parts, rejected, entities = prepared.parts, prepared.rejected, prepared.entities
    accepted = sum(count for count, _ in parts.values())
    wait = await admission.charge_events(accepted)
    if wait is not None:
        return error_response(
            429, QUOTA_CODE, "this API key is over its events quota", **{"Retry-After": wait}
        )
    for r in rejected:
        state.metrics.rejected.labels(r.code).inc()
    for entity, n in entities.items():
        state.metrics.pii.labels(entity).inc(n)
    if not parts:
        return error_response(422, "no_valid_events", "no event in the request was valid", rejected)
    try:
        await state.committer.submit(parts, received_at)
    except SpoolFull:
        retry = str(int(max(1, cfg.spool_retry_seconds * 5)))
        return error_response(
            503,
            "store_unavailable",
            "store down and spool full; retry later",
            **{"Retry-After": retry},
        )
    for log_type, (count, _) in parts.items():
        state.metrics.accepted.labels(log_type).inc(count)
    return JSONBytes(
        {"accepted": accepted, "rejected": [rejected_item(r) for r in rejected]}, status_code=202
    )
