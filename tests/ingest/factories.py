"""Valid events of each log type, and helpers to read back what the ingest API stored."""

from __future__ import annotations

import gzip
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson


def inference(**fields: Any) -> dict[str, Any]:
    return {
        "log_type": "inference",
        "event_id": str(uuid.uuid4()),
        "started_at": datetime.now(UTC).isoformat(),
        "service": "test-svc",
        "provider": "gcp.gemini",
        "model": "gemini-2.5-flash",
        "input_tokens": 12,
        "output_tokens": 34,
        "input_preview": "What is the weather like in Lisbon tomorrow?",
        "output_preview": "Sunny, with a light breeze in the afternoon.",
        **fields,
    }


def tool_execution(**fields: Any) -> dict[str, Any]:
    return {
        "log_type": "tool_execution",
        "event_id": str(uuid.uuid4()),
        "started_at": datetime.now(UTC).isoformat(),
        "service": "test-svc",
        "tool_name": "get_weather",
        "arguments_preview": '{"city": "Lisbon"}',
        **fields,
    }


def application(**fields: Any) -> dict[str, Any]:
    return {
        "log_type": "application",
        "event_id": str(uuid.uuid4()),
        "started_at": datetime.now(UTC).isoformat(),
        "service": "test-svc",
        "level": "info",
        "message": "cache warmed",
        **fields,
    }


def ndjson(events: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(e) + b"\n" for e in events)


def stored_objects(client: Any, bucket: str, prefix: str = "raw/") -> dict[str, dict[str, Any]]:
    """Every stored object under `prefix`: key -> {"metadata", "events"}."""
    out: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            obj = client.get_object(Bucket=bucket, Key=item["Key"])
            body = gzip.decompress(obj["Body"].read())
            events = [orjson.loads(line) for line in body.splitlines() if line]
            out[item["Key"]] = {"metadata": obj["Metadata"], "events": events, "raw": body}
    return out


def stored_event_ids(client: Any, bucket: str) -> list[str]:
    """Event ids over all stored objects, with repeats (to check exactly-once)."""
    return [e["event_id"] for o in stored_objects(client, bucket).values() for e in o["events"]]
