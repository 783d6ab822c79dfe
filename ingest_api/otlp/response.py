"""OTLP/HTTP response bodies, in the request's encoding: ExportTraceServiceResponse, or a
google.rpc.Status for a refused request (what the specification asks for 4xx and 5xx)."""

from __future__ import annotations

import orjson
from google.protobuf.json_format import MessageToDict
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceResponse,
)

from ingest_api.otlp.decode import PROTOBUF

# the google.rpc.Code closest to each HTTP status the intake answers with
_RPC_CODES = {400: 3, 401: 16, 413: 3, 415: 3, 429: 8, 503: 14}


def export_response(media_type: str, rejected_spans: int, message: str) -> bytes:
    """Success: partial_success only when a span was rejected or there is something to say."""
    response = ExportTraceServiceResponse()
    if rejected_spans or message:
        response.partial_success.CopyFrom(
            ExportTracePartialSuccess(rejected_spans=rejected_spans, error_message=message)
        )
    return _encode(response, media_type)


def status_body(media_type: str, http_status: int, message: str) -> bytes:
    return _encode(Status(code=_RPC_CODES.get(http_status, 2), message=message), media_type)


def _encode(message: ExportTraceServiceResponse | Status, media_type: str) -> bytes:
    if media_type == PROTOBUF:
        return message.SerializeToString()
    return orjson.dumps(MessageToDict(message))
