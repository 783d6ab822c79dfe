"""`POST /v1/traces`: OTLP/HTTP traces, mapped onto the contract, acked once durable.

Same keys, limits, validation, redaction and group commit as `POST /v1/logs`; answers follow
the OTLP/HTTP specification: 200 with `partial_success` for rejected spans, 400 for an
unreadable request, 413, 415, 429 with `Retry-After` when the key is over its quota, and 503
with `Retry-After` when neither store nor spool can take the events (an exporter retries 429,
502, 503 and 504 only).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from ingest_api.api.dependencies import IngestStateDep, get_state
from ingest_api.api.errors import RequestRefused
from ingest_api.api.quota import Admission, Admitted
from ingest_api.intake.body import BodyError, media_type, read_limited
from ingest_api.otlp.decode import JSON, MEDIA_TYPES
from ingest_api.otlp.prepare import PreparedTraces, prepare_traces
from ingest_api.otlp.response import export_response, status_body
from ingest_api.state import IngestState
from ingest_api.storage.spool import SpoolFull
from ollive_contract.object_keys import OTLP_TRACES_ARCHIVE

PATH = "/v1/traces"
router = APIRouter()
_REASONS_SHOWN = 5
_DROP_WORDS = {
    "not_genai": "not GenAI",
    "genai_operation_not_mapped": "a GenAI operation with no contract kind",
}

_DOC = {
    "requestBody": {
        "required": True,
        "description": "An OTLP ExportTraceServiceRequest (protobuf or OTLP/JSON), optionally "
        "gzip. The response is in the request's encoding.",
        "content": {"application/x-protobuf": {}, "application/json": {}},
    }
}


@router.post(
    PATH,
    status_code=200,
    openapi_extra=_DOC,
    summary="Ingest OTLP/HTTP traces (GenAI spans become events)",
    responses={
        400: {"description": "Unreadable request (google.rpc.Status)."},
        401: {"description": "Missing or unknown API key."},
        413: {"description": "Body, decompressed body or span count over its limit."},
        415: {"description": "Not application/x-protobuf or application/json, or not gzip."},
        429: {"description": "The key is over its quota; retry after `Retry-After` seconds."},
        503: {"description": "Store down and spool full; retry after `Retry-After` seconds."},
    },
)
async def export_traces(request: Request, state: IngestStateDep, admission: Admitted) -> Response:
    """200 means every accepted span's event is stored or durably spooled."""
    started = time.perf_counter()
    response = await _export(request, state, admission, datetime.now(UTC))
    state.metrics.otlp_requests.labels(str(response.status_code)).inc()
    if response.status_code == 200:
        state.metrics.ack_seconds.observe(time.perf_counter() - started)
    return response


async def answer_refused(request: Request, exc: RequestRefused) -> Response:
    """A refusal by a dependency (a bad key), as a google.rpc.Status."""
    state = await get_state(request)
    state.metrics.otlp_requests.labels(str(exc.status)).inc()
    return _refused(_response_type(request), exc.status, f"{exc.code}: {exc.message}", exc.headers)


async def _export(
    request: Request, state: IngestState, admission: Admission, received_at: datetime
) -> Response:
    cfg = state.settings
    kind = media_type(request.headers.get("content-type"))
    if kind not in MEDIA_TYPES:
        return _refused(JSON, 415, "use application/x-protobuf or application/json")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cfg.max_body_bytes:
        return _refused(kind, 413, f"request body exceeds {cfg.max_body_bytes} bytes")
    try:
        body = await read_limited(request.stream(), cfg.max_body_bytes)
        prepared: PreparedTraces = await asyncio.get_running_loop().run_in_executor(
            state.cpu,
            prepare_traces,
            body,
            request.headers.get("content-encoding"),
            kind,
            received_at,
            admission.project_id,
        )
    except BodyError as exc:
        state.metrics.rejected.labels(exc.code).inc()
        return _refused(kind, exc.status, f"{exc.code}: {exc.message}")
    wait = await admission.charge_events(_events(prepared))
    if wait is not None:
        return _refused(kind, 429, "this API key is over its events quota", {"Retry-After": wait})
    _count(state, prepared)
    if prepared.parts:
        try:
            await state.committer.submit(prepared.parts, received_at)
        except SpoolFull:
            retry = str(int(max(1, cfg.spool_retry_seconds * 5)))
            return _refused(
                kind, 503, "store down and spool full; retry later", {"Retry-After": retry}
            )
    for log_type, (count, _) in prepared.parts.items():
        if log_type != OTLP_TRACES_ARCHIVE:
            state.metrics.accepted.labels(log_type).inc(count)
    return Response(
        export_response(kind, len(prepared.rejected), _message(prepared)),
        status_code=200,
        media_type=kind,
    )


def _count(state: IngestState, prepared: PreparedTraces) -> None:
    spans = state.metrics.otlp_spans
    spans.labels("accepted").inc(prepared.accepted)
    if prepared.rejected:
        spans.labels("rejected").inc(len(prepared.rejected))
    for reason, n in prepared.dropped.items():
        spans.labels(reason).inc(n)
    for r in prepared.rejected:
        state.metrics.rejected.labels(r.code).inc()
    for entity, n in prepared.entities.items():
        state.metrics.pii.labels(entity).inc(n)


def _events(prepared: PreparedTraces) -> int:
    """Contract events the request would store (the archived raw OTLP is not one)."""
    return sum(n for kind, (n, _) in prepared.parts.items() if kind != OTLP_TRACES_ARCHIVE)


def _message(prepared: PreparedTraces) -> str:
    """Why spans were rejected (value-free reasons) and how many were dropped, or ''."""
    parts = []
    if prepared.rejected:
        shown = "; ".join(f"span {r.index}: {r.reason}" for r in prepared.rejected[:_REASONS_SHOWN])
        more = len(prepared.rejected) - _REASONS_SHOWN
        if more > 0:
            shown += f"; +{more} more"
        parts.append(f"{len(prepared.rejected)} spans rejected ({shown})")
    parts.extend(
        f"{n} spans dropped: {_DROP_WORDS.get(reason, reason)}"
        for reason, n in sorted(Counter(prepared.dropped).items())
    )
    return "; ".join(parts)


def _response_type(request: Request) -> str:
    kind = media_type(request.headers.get("content-type"))
    return kind if kind in MEDIA_TYPES else JSON


def _refused(
    kind: str, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(status_body(kind, status, message), status, headers, media_type=kind)
