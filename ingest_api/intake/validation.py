"""Per-event validation against the wire contract, with reasons that never echo a field value.

A value may hold PII, so a reason names the field (`loc`) and the rule it broke, never the input.
Within one request the first occurrence of an `event_id` wins; later ones are rejected. An event
whose time is too far ahead of the server's clock (`FutureBound`) is rejected too: a producer
clock months off would put it in partitions and dashboards where no real event is yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from ingest_api.intake.body import RawEvent, parse_line
from ollive_contract.events import (
    EVENT_ADAPTER,
    LOG_TYPES,
    ApplicationEvent,
    InferenceEvent,
    ScoreEvent,
    ToolCall,
    ToolExecutionEvent,
)

ContractEvent = InferenceEvent | ToolExecutionEvent | ApplicationEvent | ScoreEvent

_KNOWN_NAMES = frozenset(
    name
    for model in (InferenceEvent, ToolExecutionEvent, ApplicationEvent, ScoreEvent, ToolCall)
    for name in model.model_fields
) | frozenset(LOG_TYPES)
# pydantic puts bits of the input between backticks in a few messages (e.g. uuid_parsing)
_QUOTED_INPUT = re.compile(r"`[^`]*`")
_TYPE_MESSAGES = {
    "union_tag_invalid": "log_type must be one of " + ", ".join(LOG_TYPES),
    "union_tag_not_found": "log_type is required",
    "model_attributes_type": "an event must be a JSON object",
    "model_type": "must be a JSON object",
}


@dataclass(frozen=True)
class Rejection:
    """One refused event: its position in the request and a value-free reason."""

    index: int
    reason: str
    code: str


@dataclass(frozen=True)
class Validated:
    """The events kept, in request order, and those refused."""

    events: list[ContractEvent]
    rejected: list[Rejection]


@dataclass(frozen=True)
class FutureBound:
    """No event may start or finish more than `ahead` after the request arrived."""

    received_at: datetime
    ahead: timedelta

    def check(self, event: ContractEvent, index: int) -> Rejection | None:
        latest = self.received_at + self.ahead
        for name in ("started_at", "finished_at"):
            at = getattr(event, name)
            if at is not None and (at if at.tzinfo else at.replace(tzinfo=UTC)) > latest:
                hours = self.ahead.total_seconds() / 3600
                return Rejection(
                    index,
                    f"{name}: more than {hours:g} h ahead of the server's clock",
                    "too_far_ahead",
                )
        return None


def validate_events(raw: list[RawEvent], future: FutureBound | None = None) -> Validated:
    """Validate each event on its own; duplicates of an earlier event_id, and events too far
    ahead of `future`'s bound (when given), are rejected."""
    events: list[ContractEvent] = []
    rejected: list[Rejection] = []
    seen: set = set()
    for index, item in enumerate(raw):
        if item.line is not None:
            try:
                event = EVENT_ADAPTER.validate_json(item.line)
            except ValidationError:
                item = parse_line(item.line)  # refused: find out why, as for a parsed item
            else:
                if _keep(event, index, seen, rejected, future):
                    events.append(event)
                continue
        if item.parse_error is not None:
            rejected.append(Rejection(index, item.parse_error, "bad_json"))
            continue
        if not isinstance(item.value, dict):
            rejected.append(Rejection(index, "an event must be a JSON object", "not_an_object"))
            continue
        try:
            event = EVENT_ADAPTER.validate_python(item.value)
        except ValidationError as exc:
            rejected.append(Rejection(index, describe(exc), "invalid"))
            continue
        if _keep(event, index, seen, rejected, future):
            events.append(event)
    return Validated(events, rejected)


def _keep(
    event: ContractEvent,
    index: int,
    seen: set,
    rejected: list[Rejection],
    future: FutureBound | None,
) -> bool:
    """False (and a rejection) for an event too far ahead, or a repeat within the request."""
    too_far = future.check(event, index) if future is not None else None
    if too_far is not None:
        rejected.append(too_far)
        return False
    return _first(event, index, seen, rejected)


def _first(event: ContractEvent, index: int, seen: set, rejected: list[Rejection]) -> bool:
    """False (and a rejection) when an earlier event of the request had this event_id."""
    if event.event_id in seen:
        rejected.append(
            Rejection(index, "event_id repeats an earlier event of this request", "duplicate")
        )
        return False
    seen.add(event.event_id)
    return True


def describe(exc: ValidationError, max_errors: int = 5) -> str:
    """A short reason built from field paths and rule messages only."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:max_errors]:
        loc = ".".join(_safe_loc(part) for part in err["loc"])
        msg = _TYPE_MESSAGES.get(err["type"]) or _QUOTED_INPUT.sub("…", err["msg"])
        parts.append(f"{loc}: {msg}" if loc else msg)
    more = exc.error_count() - max_errors
    if more > 0:
        parts.append(f"(+{more} more)")
    return "; ".join(parts)


def _safe_loc(part: str | int) -> str:
    # metadata keys are client data: show them only when they are a contract field name
    if isinstance(part, int):
        return str(part)
    return part if part in _KNOWN_NAMES else "*"
