"""Moves simulated conversations into the past: an SDK mask hook that shifts each conversation's
events to its planned start, with the incidents of that time applied.

The simulator runs conversations now, many at once; the hook sees every event on the SDK's
worker thread before it is encoded and sent, and moves all events of a conversation by one
offset (planned start minus the conversation's first event seen), so a conversation keeps its
shape, its turns and their spans. Everything else (ids, ingest, loads, dbt) is the live path:
only the event times say it happened earlier. Feedback lands up to an hour after its
conversation, as users give it, never later than now.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from chatbot.incidents import Incident, inject

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # the SDK's wire format for times
FEEDBACK_LAG_MAX_S = 3600.0


def _parse(text: str) -> datetime:
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)


def _format(at: datetime) -> str:
    return at.strftime(_FORMAT)


class Backdate:
    """`Client(mask=Backdate(starts, incidents))`: `starts` maps conversation ids to the epoch
    second each should start at; events of other conversations pass unchanged."""

    def __init__(self, starts: dict[str, float], incidents: list[Incident]) -> None:
        self.starts = starts
        self.incidents = incidents
        self._offsets: dict[str, timedelta] = {}
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        conversation = event.get("conversation_id") or event.get("target_conversation_id")
        if conversation not in self.starts or "started_at" not in event:
            return event
        started = _parse(event["started_at"])
        with self._lock:
            offset = self._offsets.setdefault(
                conversation,
                datetime.fromtimestamp(self.starts[conversation], UTC) - started,
            )
        started += offset
        if event.get("log_type") == "score":
            lag = random.Random(event.get("event_id")).uniform(0, FEEDBACK_LAG_MAX_S)
            latest = datetime.fromtimestamp(time.time() - 60, UTC)
            started = max(started, min(started + timedelta(seconds=lag), latest))
        event["started_at"] = _format(started)
        inject(event, started.timestamp(), self.incidents)
        if "finished_at" in event:
            if "latency_ms" in event:  # an incident may have changed it
                event["finished_at"] = _format(
                    started + timedelta(milliseconds=event["latency_ms"])
                )
            else:
                event["finished_at"] = _format(_parse(event["finished_at"]) + offset)
        return event
