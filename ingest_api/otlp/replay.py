"""Replay the OTLP archive through the current mapping: `python -m ingest_api.otlp.replay`.

After a mapping fix (a bumped `MAPPING_VERSION`), every archived request of the chosen arrival
days whose line says an older version is mapped again, validated and serialised exactly as the
intake does, and written as new raw objects under the replay's own hour. The Dagster sensor
loads them like any other object (load manifest + insert dedup token: exactly once per object).
Each span keeps its `event_id` (it depends on the span's ids and start only), and the replayed
copy is received later than the first one, so dbt's dedup (the latest received copy wins) makes
the new mapping's event replace the old one: no duplicates in the facts. The first arrival and
the archive object stay in the event's metadata (`otlp.received_at`, `otlp.archive_key`).

Running it twice writes a second copy of each event, which the same dedup absorbs. An event the
new mapping no longer produces (a span it now drops) keeps its old row.
"""

from __future__ import annotations

import argparse
import gzip
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import orjson
from botocore.config import Config

from ingest_api.intake.body import RawEvent
from ingest_api.intake.records import to_record
from ingest_api.intake.validation import validate_events
from ingest_api.otlp import mapping
from ingest_api.otlp.spans import SpanError, SpanView, iter_spans
from ingest_api.pii.redaction import Redactor
from ollive_contract.object_keys import (
    META_EVENT_COUNT,
    META_MAX_RECEIVED_AT,
    META_MIN_RECEIVED_AT,
    OTLP_TRACES_ARCHIVE,
    RAW_PREFIX,
    SUFFIX,
    ObjectKey,
)
from ollive_contract.settings import IngestSettings, ObjectStoreSettings

_EVENTS_PER_OBJECT = 10_000
_METADATA_MAX_KEYS = 64  # the contract's bound
_PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]{1,40})>")


class ArchivedTextRedactor:
    """The archive is already redacted: its `<ENTITY>` placeholders still count as PII found
    (so `pii_detected` survives the replay), and the current redactor runs again on top."""

    def __init__(self, entities: Iterable[str], redactor: Redactor | None) -> None:
        self.entities = frozenset(entities)
        self.redactor = redactor

    def redact(self, text: str) -> tuple[str, frozenset[str]]:
        found: frozenset[str] = frozenset()
        if self.redactor is not None:
            text, found = self.redactor.redact(text)
        placeholders = {m for m in _PLACEHOLDER.findall(text) if m in self.entities}
        return text, found | placeholders if placeholders else found


@dataclass
class ReplayResult:
    """What a replay read and wrote."""

    archive_objects: int = 0
    requests: int = 0
    requests_current: int = 0  # already mapped by this version: skipped
    events: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    objects_written: list[str] = field(default_factory=list)


def archive_prefix(day: str) -> str:
    return f"{RAW_PREFIX}/{OTLP_TRACES_ARCHIVE}/v1/dt={day}/"


def remap_line(
    line: dict[str, Any],
    archive_key: str,
    replayed_at: datetime,
    redactor: ArchivedTextRedactor,
    result: ReplayResult,
) -> dict[str, list[bytes]]:
    """One archived request → its events' records under the current mapping, per log type."""
    mapped: list[RawEvent] = []
    for item in iter_spans(line["request"]):
        if not isinstance(item, SpanView):
            result.rejected += 1
            continue
        try:
            event = mapping.map_span(item)
        except SpanError:
            result.rejected += 1
            continue
        if isinstance(event, str):
            result.dropped[event] += 1
            continue
        metadata = event["metadata"]
        while len(metadata) > _METADATA_MAX_KEYS - 2:  # room for two: drop the last passed on
            metadata.pop(next(reversed(metadata)))
        metadata["otlp.received_at"] = line["received_at"]
        metadata["otlp.archive_key"] = archive_key
        mapped.append(RawEvent(event))
    validated = validate_events(mapped)
    result.rejected += len(validated.rejected)
    lines: dict[str, list[bytes]] = defaultdict(list)
    entities: Counter[str] = Counter()
    for event in validated.events:
        lines[event.log_type].append(
            to_record(
                event,
                received_at=replayed_at,
                project_id=line["project_id"],
                redactor=redactor,  # type: ignore[arg-type]  # same redact() as Redactor
                entity_counts=entities,
            )
        )
        result.events[event.log_type] += 1
    return lines


def replay(
    s3: Any,
    bucket: str,
    days: list[str],
    redactor: ArchivedTextRedactor,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> ReplayResult:
    """Re-map the archived requests of `days` (arrival days) and write their events' objects."""
    replayed_at = now or datetime.now(UTC)
    result = ReplayResult()
    pending: dict[str, list[bytes]] = defaultdict(list)
    for day in days:
        for key in _keys(s3, bucket, archive_prefix(day)):
            result.archive_objects += 1
            body = gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            for raw in body.splitlines():
                line = orjson.loads(raw)
                result.requests += 1
                if line.get("mapping_version", 0) >= mapping.MAPPING_VERSION and not force:
                    result.requests_current += 1
                    continue
                for log_type, records in remap_line(
                    line, key, replayed_at, redactor, result
                ).items():
                    pending[log_type].extend(records)
                    if len(pending[log_type]) >= _EVENTS_PER_OBJECT:
                        _write(s3, bucket, log_type, pending.pop(log_type), replayed_at, result)
    for log_type, records in pending.items():
        _write(s3, bucket, log_type, records, replayed_at, result)
    return result


def _keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(
        o["Key"] for p in pages for o in p.get("Contents", []) if o["Key"].endswith(SUFFIX)
    )


def _write(
    s3: Any,
    bucket: str,
    log_type: str,
    records: list[bytes],
    replayed_at: datetime,
    result: ReplayResult,
) -> None:
    key = str(ObjectKey.new(log_type, replayed_at))
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=gzip.compress(b"".join(records), mtime=0),
        Metadata={
            META_EVENT_COUNT: str(len(records)),
            META_MIN_RECEIVED_AT: replayed_at.isoformat(),
            META_MAX_RECEIVED_AT: replayed_at.isoformat(),
        },
        ContentType="application/x-ndjson",
        ContentEncoding="gzip",
    )
    result.objects_written.append(key)


def s3_client(settings: ObjectStoreSettings) -> Any:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings.endpoint,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key.get_secret_value(),
        region_name=settings.region,
        config=Config(s3={"addressing_style": "path"}),
    )


def redactor_for(settings: IngestSettings) -> ArchivedTextRedactor:
    """The intake's redactor (when PII redaction is on), reading the archive's placeholders."""
    entities = [*settings.pii_entities, *settings.pii_ner_entities]
    if not settings.pii_enabled:
        return ArchivedTextRedactor(entities, None)
    return ArchivedTextRedactor(
        entities,
        Redactor(
            settings.pii_entities,
            ner_entities=settings.pii_ner_entities,
            spacy_model=settings.pii_spacy_model,
            fast_path=settings.pii_fast_path,
        ),
    )


def day_range(start: str, end: str) -> list[str]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"end {end} is before start {start}")
    return [(first + timedelta(d)).isoformat() for d in range((last - first).days + 1)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("start", help="first arrival day of the archive to replay, YYYY-MM-DD")
    parser.add_argument("end", nargs="?", help="last arrival day (inclusive; default: start)")
    parser.add_argument(
        "--force", action="store_true", help="replay requests already at this mapping version"
    )
    args = parser.parse_args(argv)
    store = ObjectStoreSettings()
    result = replay(
        s3_client(store),
        store.bucket,
        day_range(args.start, args.end or args.start),
        redactor_for(IngestSettings()),
        force=args.force,
    )
    print(
        f"mapping v{mapping.MAPPING_VERSION}: {result.archive_objects} archive objects, "
        f"{result.requests} requests ({result.requests_current} already current), "
        f"events {dict(result.events)}, dropped {dict(result.dropped)}, "
        f"rejected {result.rejected}, {len(result.objects_written)} objects written"
    )
    for key in result.objects_written:
        print(key)


if __name__ == "__main__":
    main()
