"""`POST /v1/logs`: authenticate, decode, validate per event, redact, group-commit, then ack."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from ingest_api.api.json_response import JSONBytes
from ingest_api.intake.body import (
    JSON_TYPES,
    NDJSON_TYPES,
    BodyError,
    media_type,
    read_limited,
)
from ingest_api.intake.prepare import prepare
from ingest_api.intake.validation import Rejection
from ingest_api.state import IngestState
from ingest_api.storage.spool import SpoolFull

router = APIRouter()


class RejectedEvent(BaseModel):
    index: int
    code: str
    reason: str


class IngestResult(BaseModel):
    """Answer to an accepted request: every accepted event is durable."""

    accepted: int
    rejected: list[RejectedEvent]


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResult(BaseModel):
    error: ErrorBody
    accepted: int = 0
    rejected: list[RejectedEvent] = []


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
        503: "Store down and spool full; retry after `Retry-After` seconds.",
    }.items()
}


def _error(
    status: int, code: str, message: str, rejected: list[Rejection] = (), **headers: str
) -> JSONBytes:
    body = {"error": {"code": code, "message": message}, "accepted": 0}
    body["rejected"] = [_rejected(r) for r in rejected]
    return JSONBytes(body, status_code=status, headers=headers or None)


def _rejected(r: Rejection) -> dict[str, Any]:
    return {"index": r.index, "code": r.code, "reason": r.reason}


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("x-api-key")


@router.post(
    "/v1/logs",
    status_code=202,
    response_model=IngestResult,
    responses=_ERRORS,
    openapi_extra=_BODY_DOC,
    summary="Ingest a batch of events",
)
async def ingest(request: Request) -> JSONBytes:
    """Accepts events; 202 means every accepted event is stored or durably spooled."""
    state: IngestState = request.app.state.ingest
    started = time.perf_counter()
    received_at = datetime.now(UTC)
    response = await _ingest(request, state, received_at)
    state.metrics.requests.labels(str(response.status_code)).inc()
    if response.status_code == 202:
        state.metrics.ack_seconds.observe(time.perf_counter() - started)
    return response


async def _ingest(request: Request, state: IngestState, received_at: datetime) -> JSONBytes:
    cfg = state.settings
    project_id = state.keys.project_for(presented_key(request))
    if project_id is None:
        return _error(401, "unauthorized", "a valid API key is required (Authorization: Bearer)")
    kind = media_type(request.headers.get("content-type"))
    if kind not in JSON_TYPES and kind not in NDJSON_TYPES:
        return _error(415, "unsupported_media_type", "use application/json or application/x-ndjson")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cfg.max_body_bytes:
        return _error(413, "body_too_large", f"request body exceeds {cfg.max_body_bytes} bytes")
    try:
        body = await read_limited(request.stream(), cfg.max_body_bytes)
    except BodyError as exc:
        return _error(exc.status, exc.code, exc.message)
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
            project_id,
        )
    except BodyError as exc:
        state.metrics.rejected.labels(exc.code).inc()
        return _error(exc.status, exc.code, exc.message)
    lines, rejected, entities = prepared.lines, prepared.rejected, prepared.entities
    for r in rejected:
        state.metrics.rejected.labels(r.code).inc()
    for entity, n in entities.items():
        state.metrics.pii.labels(entity).inc(n)
    if not lines:
        return _error(422, "no_valid_events", "no event in the request was valid", rejected)
    try:
        await state.committer.submit(lines, received_at)
    except SpoolFull:
        retry = str(int(max(1, cfg.spool_retry_seconds * 5)))
        return _error(
            503,
            "store_unavailable",
            "store down and spool full; retry later",
            **{"Retry-After": retry},
        )
    for log_type, part in lines.items():
        state.metrics.accepted.labels(log_type).inc(len(part))
    accepted = sum(map(len, lines.values()))
    return JSONBytes(
        {"accepted": accepted, "rejected": [_rejected(r) for r in rejected]}, status_code=202
    )
