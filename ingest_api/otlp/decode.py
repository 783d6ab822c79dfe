"""An OTLP/HTTP traces request body → its OTLP/JSON form (one shape for both encodings).

Protobuf requests are converted to what the same request would be in OTLP/JSON (lowerCamelCase
keys, hex ids, enums as integers, int64 as decimal strings), so the mapping and the archive see
one shape. JSON requests are taken as parsed: int64 values may be strings or numbers there.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from ingest_api.intake.body import BodyError

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MEDIA_TYPES = (PROTOBUF, JSON)


def parse_request(data: bytes, media_type: str) -> dict[str, Any]:
    """The request as an OTLP/JSON document; BodyError (400) when it cannot be read."""
    if media_type == PROTOBUF:
        request = ExportTraceServiceRequest()
        try:
            request.ParseFromString(data)
        except DecodeError as exc:
            raise BodyError(
                400, "bad_protobuf", "body is not an ExportTraceServiceRequest"
            ) from exc
        return {"resourceSpans": [_resource_spans(rs) for rs in request.resource_spans]}
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BodyError(400, "bad_json", "body is not valid JSON (or not UTF-8)") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceSpans", []), list):
        raise BodyError(400, "bad_shape", 'body must be {"resourceSpans": [...]}')
    return doc


def _resource_spans(rs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resource": {"attributes": _attributes(rs.resource.attributes)},
        "scopeSpans": [
            {
                "scope": {
                    "name": ss.scope.name,
                    "version": ss.scope.version,
                    "attributes": _attributes(ss.scope.attributes),
                },
                "spans": [_span(span) for span in ss.spans],
                "schemaUrl": ss.schema_url,
            }
            for ss in rs.scope_spans
        ],
        "schemaUrl": rs.schema_url,
    }
    return out


def _span(span: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "traceId": span.trace_id.hex(),
        "spanId": span.span_id.hex(),
        "parentSpanId": span.parent_span_id.hex(),
        "traceState": span.trace_state,
        "flags": span.flags,
        "name": span.name,
        "kind": span.kind,
        "startTimeUnixNano": str(span.start_time_unix_nano),
        "endTimeUnixNano": str(span.end_time_unix_nano),
        "attributes": _attributes(span.attributes),
        "status": {"code": span.status.code, "message": span.status.message},
    }
    if span.events:
        out["events"] = [
            {
                "timeUnixNano": str(e.time_unix_nano),
                "name": e.name,
                "attributes": _attributes(e.attributes),
            }
            for e in span.events
        ]
    if span.links:
        out["links"] = [
            {
                "traceId": link.trace_id.hex(),
                "spanId": link.span_id.hex(),
                "traceState": link.trace_state,
                "attributes": _attributes(link.attributes),
            }
            for link in span.links
        ]
    return out


def _attributes(kvs: Any) -> list[dict[str, Any]]:
    return [{"key": kv.key, "value": _any_value(kv.value)} for kv in kvs]


def _any_value(value: AnyValue) -> dict[str, Any]:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return {"stringValue": value.string_value}
    if kind == "int_value":
        return {"intValue": str(value.int_value)}
    if kind == "bool_value":
        return {"boolValue": value.bool_value}
    if kind == "double_value":
        return {"doubleValue": value.double_value}
    if kind == "array_value":
        return {"arrayValue": {"values": [_any_value(v) for v in value.array_value.values]}}
    if kind == "kvlist_value":
        kvs: list[KeyValue] = list(value.kvlist_value.values)
        return {"kvlistValue": {"values": _attributes(kvs)}}
    if kind == "bytes_value":
        return {"bytesValue": base64.b64encode(value.bytes_value).decode()}
    return {}
