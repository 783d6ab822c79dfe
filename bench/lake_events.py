"""Production-shaped events written straight into the raw lake, as the ingest API's objects.

Not a benchmark itself (`make bench` skips it). The events have `superset_data.py`'s shape
(its shares of log types, traces of a `chat turn` span block with its model calls and tool runs
under it, three turns per conversation, ten conversations per session), spread evenly over the
`days` days before now. Each line is the ingest API's own stored line (`to_record`, PII
redaction off) of a contract event from `ollive.synthetic_events.make_event`: 64 such lines per
log type are encoded once, with markers where the per-event fields go (event id, times, trace,
span, parent span, conversation, session, user), and each event fills one of them in with numpy,
~2 CPU-µs per event (times always carry their milliseconds, where the models leave a zero
fraction out; ids are zero-padded to a fixed width). Objects
are gzipped with the API's ISA-L level and written with its metadata, `per_object` events of one
log type each, received now; `workers` processes write them in parallel.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from typing import Any

import numpy as np
from isal import igzip
from pydantic import TypeAdapter
from superset_data import (  # the shape superset_data.py stages, kept in step
    MODEL_CALLS_PER_TRACE,
    SHARES,
    TURNS_PER_CONVERSATION,
    TYPE_OFFSET,
)

from ingest_api.intake.records import to_record
from ollive.synthetic_events import make_event
from ollive_contract.object_keys import (
    META_EVENT_COUNT,
    META_MAX_RECEIVED_AT,
    META_MIN_RECEIVED_AT,
    ObjectKey,
)
from ollive_contract.settings.ingest import IngestSettings

VARIANTS = 64  # template lines per log type: models, statuses, tool calls, metadata vary
USERS = 5000
CONVERSATIONS_PER_SESSION = 10
# per-event fields: a marker of the value's width in the template line, overwritten per event
MARKERS = {
    "event_id": "ffffffff-ffff-7fff-8fff-ffffffffffff",
    "started_at": datetime(2001, 2, 3, 4, 5, 6, 789000, tzinfo=UTC),
    "finished_at": datetime(2001, 2, 3, 4, 5, 7, 789000, tzinfo=UTC),
    "trace_id": "T" * 32,
    "span_id": "S" * 16,
    "parent_span_id": "P" * 16,
    "conversation_id": "conv-" + "C" * 9,
    "session_id": "sess-" + "E" * 8,
    "user_id": "user-" + "U" * 4,
}
SPAN_BLOCK = {  # an application event that is a turn's span (the SDK's trace())
    "level": "info",
    "logger": "ollive.span",
    "message": "chat turn",
    "metadata": {"ollive.span.kind": "agent", "ollive.span.status": "ok"},
}
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


@dataclass(frozen=True)
class Shape:
    """Where each of `events` events goes: its log type's count, the traces, the window."""

    events: int
    days: int
    now_ms: int

    @property
    def counts(self) -> dict[str, int]:
        return {log_type: int(self.events * share) for log_type, share in SHARES.items()}

    @property
    def traces(self) -> int:
        return max(1, self.counts["inference"] // MODEL_CALLS_PER_TRACE)


@dataclass(frozen=True)
class Template:
    """A stored line and where (the byte after the opening quote) each marker sits in it."""

    line: np.ndarray
    at: dict[str, int]


def _json(value: Any) -> bytes:
    """`value` as the contract models write it."""
    return TypeAdapter(type(value)).dump_json(value)


def templates(log_type: str, received_at: datetime) -> dict[bool, list[Template]]:
    """`VARIANTS` stored lines of `log_type`, with a parent span (True) and without."""
    out: dict[bool, list[Template]] = {}
    for parent in (True, False):
        out[parent] = []
        for i in range(VARIANTS):
            fields = {k: v for k, v in MARKERS.items() if parent or k != "parent_span_id"}
            if log_type == "application":
                fields |= SPAN_BLOCK
            event = make_event(log_type, MARKERS["started_at"], i)
            with warnings.catch_warnings():  # the marker event id is a str, not a UUID
                warnings.simplefilter("ignore")
                line = to_record(
                    event.model_copy(update=fields),
                    received_at=received_at,
                    project_id="bench",
                    redactor=None,
                    entity_counts=Counter(),
                )
            at = {}
            for name in fields.keys() & MARKERS.keys():
                marker = _json(MARKERS[name])
                assert line.count(marker) == 1, f"{name} not once in the line"
                at[name] = line.index(marker) + 1
            out[parent].append(Template(np.frombuffer(line, dtype=np.uint8), at))
    return out


def _hex(values: np.ndarray, width: int) -> np.ndarray:
    """Each value as `width` lower-case hex digits (rows of bytes), zero-padded."""
    digits = min(width, 16)
    shifts = (4 * np.arange(digits - 1, -1, -1)).astype(np.uint64)
    low = HEX[(values.astype(np.uint64)[:, None] >> shifts) & np.uint64(15)]
    if width == digits:
        return low
    return np.hstack([np.full((len(values), width - digits), ord("0"), np.uint8), low])


def _dec(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers % 10 + ord("0")).astype(np.uint8)


def _times(ms: np.ndarray) -> np.ndarray:
    """`YYYY-MM-DDTHH:MM:SS.mmm` of unix milliseconds (the models add `000Z`): the dates of the
    few distinct days formatted by numpy, the times of day by arithmetic."""
    days, tod = np.divmod(ms, 86_400_000)
    distinct, which = np.unique(days, return_inverse=True)
    dates = np.datetime_as_string(distinct.astype("datetime64[D]")).astype("S10")
    out = np.empty((len(ms), 23), np.uint8)
    out[:, :10] = np.frombuffer(dates.tobytes(), np.uint8).reshape(-1, 10)[which]
    out[:, [10, 13, 16, 19]] = np.frombuffer(b"T::.", np.uint8)
    out[:, 11:13] = _dec(tod // 3_600_000, 2)
    out[:, 14:16] = _dec(tod // 60_000 % 60, 2)
    out[:, 17:19] = _dec(tod // 1000 % 60, 2)
    out[:, 20:23] = _dec(tod % 1000, 3)
    return out


def body(shape: Shape, log_type: str, first: int, last: int, lines: dict) -> bytes:
    """The NDJSON of events `first`..`last` (exclusive) of `log_type`, grouped by template."""
    counts, traces = shape.counts, shape.traces
    n, blocks = counts[log_type], counts["application"]
    window_ms = shape.days * 86_400_000
    offset = list(SHARES).index(log_type) * TYPE_OFFSET
    block_offset = list(SHARES).index("application") * TYPE_OFFSET
    j = np.arange(first, last, dtype=np.int64)
    idx = offset + j
    tr = j * traces // n
    ms = shape.now_ms - window_ms + j * window_ms // n
    conversation = tr // TURNS_PER_CONVERSATION
    block = (tr * blocks + traces - 1) // traces  # the trace's span block, if it has one
    has_parent = (block < blocks) & (block * traces // max(blocks, 1) == tr)
    if log_type == "application":
        has_parent[:] = False
    fields = {  # name → (rows of bytes, where in the marker they go)
        "started_at": (_times(ms), 0),
        "finished_at": (_times(ms + 120), 0),
        "trace_id": (_hex(tr, 32), 0),
        "span_id": (_hex(idx, 16), 0),
        "parent_span_id": (_hex(block_offset + block, 16), 0),
        "conversation_id": (_dec(conversation, 9), 5),
        "session_id": (_dec(conversation // CONVERSATIONS_PER_SESSION, 8), 5),
        "user_id": (_dec(idx % USERS, 4), 5),
    }
    m, r = _hex(ms, 12), _hex(idx, 18)  # a UUIDv7 of the event's time, idx as its random bits
    uuid = np.full((len(j), 36), ord("-"), np.uint8)
    uuid[:, [*range(8), *range(9, 13)]] = m
    uuid[:, 14], uuid[:, 19] = ord("7"), ord("8")
    uuid[:, [15, 16, 17, 20, 21, 22, *range(24, 36)]] = r
    fields["event_id"] = (uuid, 0)
    group = (j % VARIANTS) * 2 + has_parent
    parts = []
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        template = lines[bool(g % 2)][g // 2]
        block_ = np.repeat(template.line[None, :], len(rows), axis=0)
        for name, at in template.at.items():
            values, skip = fields[name]
            start = at + skip
            block_[:, start : start + values.shape[1]] = values[rows]
        parts.append(block_.tobytes())
    return b"".join(parts)


# one per worker process: set by `_init`
_worker: dict[str, Any] = {}


def _init(store_fields: dict, received_at: datetime) -> None:
    from dagster_project.resources.object_store import ObjectStoreResource

    store = ObjectStoreResource(**store_fields)
    _worker.update(
        store=store,
        s3=store.client(),
        received_at=received_at,
        level=IngestSettings().gzip_level,
        lines={t: templates(t, received_at) for t in SHARES},
    )


def _put(task: tuple[Shape, str, int, int]) -> tuple[str, int]:
    shape, log_type, first, last = task
    w = _worker
    gz = igzip.compress(
        body(shape, log_type, first, last, w["lines"][log_type]),
        compresslevel=w["level"],
        mtime=0,
    )
    received = w["received_at"].isoformat()
    key = str(ObjectKey.new(log_type, w["received_at"]))
    w["s3"].put_object(
        Bucket=w["store"].bucket,
        Key=key,
        Body=gz,
        Metadata={
            META_EVENT_COUNT: str(last - first),
            META_MIN_RECEIVED_AT: received,
            META_MAX_RECEIVED_AT: received,
        },
        ContentType="application/x-ndjson",
        ContentEncoding="gzip",
    )
    return key, len(gz)


def tasks(shape: Shape, per_object: int) -> Iterator[tuple[Shape, str, int, int]]:
    for log_type, n in shape.counts.items():
        for first in range(0, n, per_object):
            yield shape, log_type, first, min(n, first + per_object)


def write_lake(
    store,
    events: int,
    days: int,
    per_object: int,
    workers: int,
    progress: Callable[[str], None],
) -> list[tuple[str, int]]:
    """Write `events` events as objects of `per_object`; their (key, size)."""
    received_at = datetime.now(UTC)
    shape = Shape(events, days, int((received_at - timedelta(minutes=1)).timestamp() * 1000))
    todo = list(tasks(shape, per_object))
    objects: list[tuple[str, int]] = []
    started = time.monotonic()
    fields = store.model_dump(exclude_none=True)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("fork"),
        initializer=_init,
        initargs=(fields, received_at),
    ) as pool:
        for i, obj in enumerate(pool.map(_put, todo, chunksize=4), 1):
            objects.append(obj)
            if i % max(1, len(todo) // 10) == 0 or i == len(todo):
                secs = time.monotonic() - started
                progress(f"  wrote {i:,}/{len(todo):,} objects ({secs:.0f} s)")
    return objects
