"""Counters of what happened to every event, so that no loss is silent."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StatsSnapshot:
    """A consistent copy of the counters.

    `enqueued = sent + sum(dropped) + queued + in_flight + spooled-not-yet-sent`; sampled-out and
    filtered events never enter the queue, so they are counted apart and are not drops.
    """

    enqueued: int = 0
    sent: int = 0
    retried: int = 0
    sampled_out: int = 0
    filtered: int = 0
    spooled: int = 0
    unspooled: int = 0
    batches_sent: int = 0
    queued: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


class Stats:
    """Thread-safe counters; a lock keeps counts exact when host threads race the worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._dropped: Counter[str] = Counter()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def drop(self, reason: str, n: int = 1) -> None:
        if n <= 0:
            return
        with self._lock:
            self._dropped[reason] += n

    def snapshot(self, queued: int = 0) -> StatsSnapshot:
        with self._lock:
            c = dict(self._counts)
            dropped = dict(self._dropped)
        return StatsSnapshot(
            enqueued=c.get("enqueued", 0),
            sent=c.get("sent", 0),
            retried=c.get("retried", 0),
            sampled_out=c.get("sampled_out", 0),
            filtered=c.get("filtered", 0),
            spooled=c.get("spooled", 0),
            unspooled=c.get("unspooled", 0),
            batches_sent=c.get("batches_sent", 0),
            queued=queued,
            dropped=dropped,
        )

    def reset_after_fork(self) -> None:
        """The child starts with fresh counters: the parent's events are the parent's to report."""
        self._lock = threading.Lock()
        self._counts = Counter()
        self._dropped = Counter()
