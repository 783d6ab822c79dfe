"""Steady traffic from the chatbot's simulator, through a real SDK client whose batches are each
delivered three times and whose events carry skewed, late and far-future clocks.

The personal data the simulator puts in prompts (e-mails, phones, names) and its raw user ids
are the needles the final accounting searches for; the plan is seeded, so they are known.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import ollive_sdk
from ollive_sdk.transport import Transport, TransportConfig

from chatbot.scenarios import plan
from chatbot.traffic import send_traffic
from ollive.soak.ledger import AckLedger, StormSender

# shares of events whose clock is off: a few minutes either way, hours behind (a batch held),
# hours ahead (within the API's OLLIVE_INGEST_MAX_EVENT_AHEAD_HOURS, accepted), months or
# years ahead (refused by the API per event: never acknowledged, so never expected)
SKEWED, LATE, AHEAD, FAR_AHEAD = 0.10, 0.05, 0.02, 0.01


class StormClient(ollive_sdk.Client):
    """The SDK's client with a `StormSender` where its HTTP sender was."""

    def __init__(self, ledger: AckLedger, copies: int, **options: Any) -> None:
        self._ledger, self._copies = ledger, copies
        super().__init__(**options)

    def _build_transport(self, config: Any) -> Transport:
        transport = super()._build_transport(config)
        transport._sender = StormSender(transport._sender, self._ledger, self._copies)
        return transport


class ClockFaults:
    """The SDK's mask hook: moves some events' times (a producer's skewed clock, a batch held
    for hours, a clock hours or years ahead), counting each kind."""

    def __init__(self, seed: int, ledger: AckLedger) -> None:
        self._rng = random.Random(f"{seed}|clock")
        self._ledger = ledger
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            roll = self._rng.random()
            if roll < FAR_AHEAD:
                kind, shift = "far_ahead", timedelta(days=self._rng.uniform(30, 800))
            elif roll < FAR_AHEAD + AHEAD:
                kind, shift = "ahead", timedelta(hours=self._rng.uniform(1, 20))
            elif roll < FAR_AHEAD + AHEAD + LATE:
                kind, shift = "late", -timedelta(hours=self._rng.uniform(2, 30))
            elif roll < FAR_AHEAD + AHEAD + LATE + SKEWED:
                kind, shift = "skewed", timedelta(seconds=self._rng.uniform(-600, 600))
            else:
                return event
        self._ledger.count(f"clock_{kind}")
        moved = dict(event)
        for name in ("started_at", "finished_at"):
            if isinstance(moved.get(name), str):
                at = datetime.fromisoformat(moved[name].replace("Z", "+00:00")) + shift
                moved[name] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return moved


def planted_pii(seeds: Iterable[int], conversations: int) -> dict[str, set[str]]:
    """The personal data the simulator's plans for `seeds` put into prompts and user ids."""
    found: dict[str, set[str]] = {"email": set(), "phone": set(), "name": set(), "user_id": set()}
    for seed in seeds:
        for conversation in plan(conversations, seed):
            user = conversation.user
            text = " ".join(turn.message for turn in conversation.turns)
            found["user_id"].add(user.user_id)
            for kind, value in (("email", user.email), ("phone", user.phone), ("name", user.name)):
                if value in text:
                    found[kind].add(value)
    return found


class Traffic:
    """A thread sending `per_tick` simulated conversations every `tick_s` seconds."""

    def __init__(
        self,
        endpoint: str,
        api_key: str,
        service: str,
        seed: int,
        ledger: AckLedger,
        per_tick: int = 4,
        tick_s: float = 2.0,
        copies: int = 3,
        flush_interval_s: float = 5.0,
    ) -> None:
        self.ledger = ledger
        self.seed = seed
        self.per_tick = per_tick
        self.tick_s = tick_s
        self.seeds: list[int] = []
        self.client = StormClient(
            ledger,
            copies,
            endpoint=endpoint,
            api_key=api_key,
            service=service,
            environment="soak",
            mask=ClockFaults(seed, ledger),
            # a restarting service is out for minutes at most: never give a batch up; a batch
            # every few seconds, as a busy service's SDK sends them
            transport=TransportConfig(
                max_retry_s=3600.0, max_queue_size=200_000, flush_interval_s=flush_interval_s
            ),
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-traffic", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        tick = 0
        while not self._stop.is_set():
            started = time.monotonic()
            seed = self.seed * 100_000 + tick
            self.seeds.append(seed)
            send_traffic(self.client, self.per_tick, seed=seed, time_scale=0.05, feedback=True)
            self.ledger.count("conversations", self.per_tick)
            tick += 1
            elapsed = time.monotonic() - started
            self._stop.wait(max(0.0, self.tick_s - elapsed))

    def stop(self, flush_timeout_s: float = 600.0) -> bool:
        """Stop sending; True once the SDK has settled every queued batch."""
        self._stop.set()
        self._thread.join()
        flushed = self.client.flush(timeout=flush_timeout_s)
        self.client.shutdown(timeout=30)
        return flushed

    def pii(self) -> dict[str, set[str]]:
        return planted_pii(self.seeds, self.per_tick)
