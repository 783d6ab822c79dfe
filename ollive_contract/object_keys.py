"""Raw object key layout: `raw/<log_type>/v1/dt=YYYY-MM-DD/hour=HH/<received_ms>-<uuid>.ndjson.gz`.

Keys are partitioned by arrival time, not event time, so a late event never lands in an hour
prefix the loader has stopped listing. Beside the log types, `otlp_traces` holds the archive of
OTLP requests as they came (redacted), one line per request, for replay; nothing loads it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ollive_contract.events import LOG_TYPES, SCHEMA_VERSION

RAW_PREFIX = "raw"
SUFFIX = ".ndjson.gz"
# S3 user metadata the ingest API sets on each object (x-amz-meta-*).
META_EVENT_COUNT = "event-count"
META_MIN_RECEIVED_AT = "min-received-at"
META_MAX_RECEIVED_AT = "max-received-at"
OTLP_TRACES_ARCHIVE = "otlp_traces"

_KEY_RE = re.compile(
    rf"^{RAW_PREFIX}/(?P<log_type>{'|'.join((*LOG_TYPES, OTLP_TRACES_ARCHIVE))})/v(?P<version>\d+)/"
    r"dt=(?P<dt>\d{4}-\d{2}-\d{2})/hour=(?P<hour>\d{2})/"
    r"(?P<received_ms>\d{13})-(?P<uid>[0-9a-f]{32})\.ndjson\.gz$"
)


@dataclass(frozen=True)
class ObjectKey:
    """A parsed raw object key."""

    log_type: str
    received_at: datetime
    uid: str
    version: int = SCHEMA_VERSION

    def __str__(self) -> str:
        return (
            f"{hour_prefix(self.log_type, self.received_at, self.version)}"
            f"{int(self.received_at.timestamp() * 1000):013d}-{self.uid}{SUFFIX}"
        )

    @classmethod
    def new(cls, log_type: str, received_at: datetime) -> ObjectKey:
        millis = received_at.astimezone(UTC).replace(
            microsecond=received_at.microsecond // 1000 * 1000
        )
        return cls(log_type=log_type, received_at=millis, uid=uuid.uuid4().hex)

    @classmethod
    def parse(cls, key: str) -> ObjectKey:
        match = _KEY_RE.match(key)
        if not match:
            raise ValueError(f"not a raw object key: {key!r}")
        received = datetime.fromtimestamp(int(match["received_ms"]) / 1000, tz=UTC)
        return cls(match["log_type"], received, match["uid"], int(match["version"]))


def hour_prefix(log_type: str, at: datetime, version: int = SCHEMA_VERSION) -> str:
    """The listing prefix of one arrival hour of one log type."""
    at = at.astimezone(UTC)
    return f"{RAW_PREFIX}/{log_type}/v{version}/dt={at:%Y-%m-%d}/hour={at:%H}/"


def recent_hour_prefixes(log_type: str, now: datetime, hours: int) -> list[str]:
    """Prefixes of the last `hours` arrival hours, newest last (what the sensor re-lists)."""
    return [hour_prefix(log_type, now - timedelta(hours=h)) for h in reversed(range(hours))]


def day_prefix(log_type: str, day: str, version: int = SCHEMA_VERSION) -> str:
    """The listing prefix of one arrival day (`YYYY-MM-DD`) of one log type."""
    return f"{RAW_PREFIX}/{log_type}/v{version}/dt={day}/"
