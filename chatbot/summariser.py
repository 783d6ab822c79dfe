"""A second simulated service for the demo: a document summariser calling one model at a steady
rate, for long enough and densely enough that the anomaly detector has something to judge.

The chatbot's history (`chatbot.traffic.send_history`) is a few hundred conversations a day
over seven models: a handful of calls per 5-minute bucket and series, under the detector's
minimum volume (20 calls), and a single day has no same-time-last-week baseline (docs/dbt.md,
"Anomalies"). The summariser sends `days` (8 by default: a week of baseline and the day scored)
at 25-47 calls per bucket on weekdays, 20-38 at weekends, on one model, with the same incidents
as the chatbot's history in its last day, so the Anomalies dashboard flags each of them.

Its calls go through the SDK and the ingest API like any producer's; a mask hook gives each
its planned time, latency, time to first token and token counts, and applies the incidents
(`chatbot.incidents.inject`). `live_until` keeps it calling in real time until a stop signal,
so its newest buckets hold its usual traffic while the demo's live part runs: a series that
goes silent is scored as a traffic drop once a later bucket exists.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import ollive_sdk

from chatbot.incidents import TRAFFIC_KEPT, Incident, inject

SERVICE = "ollive-demo-summariser"
PROVIDER = "gcp.gemini"
MODEL = "gemini-2.5-flash"
CALLS_PER_5M = 36.0  # the weekday mean; ±30% over the day, 80% at weekends
ERROR_SHARE = 0.01
FLUSH_EVERY = 4_000  # below the SDK's default queue of 10,000 events: nothing dropped
_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # the SDK's wire format for times


def calls_per_5m(at_s: float) -> float:
    """The summariser's expected calls in the 5 minutes around `at_s`: a milder daily cycle than
    the chatbot's (peak at 14:00 UTC), so even its night buckets reach the minimum volume."""
    hour = (at_s % 86400) / 3600
    weekday = int(at_s // 86400 + 3) % 7  # 1970-01-01 was a Thursday; 5, 6 = Saturday, Sunday
    day = 1 + 0.3 * math.cos(2 * math.pi * (hour - 14) / 24)
    return CALLS_PER_5M * day * (0.8 if weekday >= 5 else 1.0)


@dataclass(frozen=True)
class Call:
    """One planned model call: when, how long, how many tokens, whether it failed."""

    at_s: float
    latency_ms: float
    ttft_ms: float
    input_tokens: int
    output_tokens: int
    failed: bool


def plan_calls(start_s: float, end_s: float, incidents: list[Incident], seed: int) -> list[Call]:
    """Poisson arrivals minute by minute between `start_s` and `end_s`, fewer during a traffic
    drop; log-normal latency, time to first token and token counts."""
    rng = random.Random(f"{seed}|summariser")
    drops = [i for i in incidents if i.kind == "traffic_drop"]
    calls: list[Call] = []
    minute = start_s - start_s % 60
    while minute < end_s:
        rate = calls_per_5m(minute) / 5
        if any(d.covers(minute) for d in drops):
            rate *= TRAFFIC_KEPT
        for _ in range(_poisson(rng, rate)):
            at = minute + rng.random() * 60
            if start_s <= at < end_s:
                calls.append(_call(rng, at))
        minute += 60
    calls.sort(key=lambda c: c.at_s)
    return calls


def _call(rng: random.Random, at_s: float) -> Call:
    latency = rng.lognormvariate(math.log(1800), 0.25)
    return Call(
        at_s=at_s,
        latency_ms=latency,
        ttft_ms=min(latency, rng.lognormvariate(math.log(420), 0.25)),
        input_tokens=int(rng.lognormvariate(math.log(2400), 0.3)),
        output_tokens=int(rng.lognormvariate(math.log(260), 0.25)),
        failed=rng.random() < ERROR_SHARE,
    )


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: the means here are a few calls a minute."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class Replay:
    """The SDK mask hook: gives each call (found by its `request_id`) its planned timing and
    applies the incidents covering its time; other events pass unchanged."""

    def __init__(self, incidents: list[Incident]) -> None:
        self.incidents = incidents
        self._planned: dict[str, Call] = {}
        self._lock = threading.Lock()

    def expect(self, request_id: str, call: Call) -> None:
        with self._lock:
            self._planned[request_id] = call

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            call = self._planned.pop(event.get("request_id") or "", None)
        if call is None:
            return event
        event.update(latency_ms=call.latency_ms, ttft_ms=call.ttft_ms)
        event = inject(event, call.at_s, self.incidents)
        event["started_at"] = _format(call.at_s)
        event["finished_at"] = _format(call.at_s + event["latency_ms"] / 1000)
        return event


def _format(at_s: float) -> str:
    return datetime.fromtimestamp(at_s, UTC).strftime(_FORMAT)


@dataclass
class SummariserRun:
    """What the summariser sent: its backfill's span and incidents, calls (failed ones
    included), when it stopped calling, and the SDK's counts."""

    start_s: float
    end_s: float  # the backfill's end; live calls follow until `stopped_s`
    incidents: list[Incident] = field(default_factory=list)
    stopped_s: float = 0.0
    calls: int = 0
    failed: int = 0
    acknowledged: int = 0
    dropped: int = 0


def send_summariser_history(
    client_options: dict,
    days: float,
    incidents: list[Incident],
    seed: int = 7,
    service: str = SERVICE,
    end_s: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    live_until: threading.Event | None = None,
) -> SummariserRun:
    """`days` of the summariser's calls up to `end_s` (now) through a client made from
    `client_options`; then, given `live_until`, its calls in real time until that is set.
    `progress(done, total)` follows the backfill."""
    end_s = time.time() if end_s is None else end_s
    calls = plan_calls(end_s - days * 86400, end_s, incidents, seed)
    replay = Replay(incidents)
    client = ollive_sdk.Client(**client_options, service=service, mask=replay)
    run = SummariserRun(end_s - days * 86400, end_s, incidents)
    try:
        for n, call in enumerate(calls, 1):
            _send(client, replay, call, f"summary-{seed}-{n}", run)
            if n % FLUSH_EVERY == 0:
                client.flush(timeout=120)
            if progress is not None and (n % 500 == 0 or n == len(calls)):
                progress(n, len(calls))
        if live_until is not None:
            _send_live(client, replay, seed, end_s, live_until, run)
        run.stopped_s = time.time() if live_until is not None else end_s
        client.flush(timeout=120)
    finally:
        client.shutdown(timeout=10)
    stats = client.stats()
    run.acknowledged, run.dropped = stats.sent, stats.dropped_total
    return run


def _send(
    client: ollive_sdk.Client, replay: Replay, call: Call, request_id: str, run: SummariserRun
) -> None:
    replay.expect(request_id, call)
    with client.inference(
        provider=PROVIDER, model=MODEL, stream=True, request_id=request_id
    ) as span:
        span.set_usage(input_tokens=call.input_tokens, output_tokens=call.output_tokens)
        if call.failed:
            span.set_status("error", "UNAVAILABLE", "The model is overloaded. Please try later.")
        else:
            span.set_finish_reason("STOP")
    run.calls += 1
    run.failed += call.failed


def _send_live(
    client: ollive_sdk.Client,
    replay: Replay,
    seed: int,
    since_s: float,
    stop: threading.Event,
    run: SummariserRun,
) -> None:
    """Each second, the calls planned for the second just gone (no incidents now)."""
    n = 0
    while not stop.wait(1.0):
        now = time.time()
        for call in plan_calls(since_s, now, [], seed + int(since_s)):
            n += 1
            _send(client, replay, call, f"summary-live-{seed}-{n}", run)
        since_s = now
