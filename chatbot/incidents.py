"""Incidents a simulated history can contain: an error burst, a latency spike, a cost jump and a
traffic drop, each a window of time.

The first three change the model calls that start inside their window, as the provider or the
app would have (refusals, slow answers, a prompt that grew); a traffic drop is fewer
conversations starting (`scenarios.history_starts`). Anomaly detection is measured against these
(bench/anomalies.py runs the same kinds on its own months); the demo's history shows them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["error_burst", "latency_spike", "cost_jump", "traffic_drop"]
KINDS: tuple[Kind, ...] = ("error_burst", "latency_spike", "cost_jump", "traffic_drop")
ERROR_SHARE = 0.6  # model calls refused during an error burst
LATENCY_FACTOR = 4.0  # latency and time to first chunk during a spike
PROMPT_FACTOR = 5.0  # input tokens during a cost jump (a system prompt that grew)
TRAFFIC_KEPT = 0.15  # conversations that still start during a traffic drop


@dataclass(frozen=True)
class Incident:
    kind: Kind
    start_s: float  # epoch seconds
    minutes: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.minutes * 60

    def covers(self, at_s: float) -> bool:
        return self.start_s <= at_s < self.end_s


def default_incidents(end_s: float) -> list[Incident]:
    """One incident of each kind within the day before `end_s`, hours apart, on 5-minute
    boundaries (so each fills whole rollup buckets)."""
    base = end_s - end_s % 300
    hours_back = {"error_burst": 19, "latency_spike": 13, "cost_jump": 7, "traffic_drop": 4}
    minutes = {"error_burst": 20, "latency_spike": 20, "cost_jump": 30, "traffic_drop": 30}
    return [Incident(kind, base - hours_back[kind] * 3600, minutes[kind]) for kind in KINDS]


def inject(event: dict[str, Any], at_s: float, incidents: list[Incident]) -> dict[str, Any]:
    """The model call `event` (the SDK's encoded form) as it went during the incidents covering
    `at_s`; other events are returned as they are."""
    if event.get("log_type") != "inference":
        return event
    rng = random.Random(event.get("event_id"))
    for incident in incidents:
        if not incident.covers(at_s):
            continue
        if incident.kind == "error_burst" and rng.random() < ERROR_SHARE:
            event.update(
                status="error",
                error_code="RESOURCE_EXHAUSTED",
                error_message="Resource has been exhausted (e.g. check quota).",
                output_tokens=0,
            )
            event.pop("output_preview", None)
            event.pop("finish_reason", None)
        elif incident.kind == "latency_spike":
            for key in ("latency_ms", "ttft_ms"):
                if key in event:
                    event[key] = event[key] * LATENCY_FACTOR
        elif incident.kind == "cost_jump" and "input_tokens" in event:
            event["input_tokens"] = int(event["input_tokens"] * PROMPT_FACTOR)
    return event
