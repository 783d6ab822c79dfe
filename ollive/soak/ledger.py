"""The soak's truth: which events the ingest API acknowledged, kept on the SDK's side of the wire.

`StormSender` stands where the SDK's `HttpSender` stands and delivers every batch `copies`
times (a retry storm: the same events, the same ids, in separate requests). An event counts as
acknowledged once any copy got a 2xx that did not reject it; nothing else is trusted.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ollive_sdk.http_sender import HttpSender, SendResult


@dataclass
class AckLedger:
    """Event ids acknowledged by the ingest API, by log type, plus delivery counters."""

    acked: dict[str, set[str]] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, events: list[tuple[str, str]], rejected: set[int]) -> None:
        """`events` as (log type, event id) in request order; `rejected` their indexes."""
        with self._lock:
            for index, (log_type, event_id) in enumerate(events):
                if index in rejected:
                    self.counters["rejected"] += 1
                else:
                    self.acked.setdefault(log_type, set()).add(event_id)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counters[name] += n

    def total(self) -> int:
        with self._lock:
            return sum(len(ids) for ids in self.acked.values())

    def snapshot(self) -> dict[str, set[str]]:
        with self._lock:
            return {log_type: set(ids) for log_type, ids in self.acked.items()}


def batch_events(body: bytes) -> list[tuple[str, str]]:
    """(log type, event id) of each line of a gzip NDJSON batch, in order."""
    lines = gzip.decompress(body).splitlines()
    return [(doc["log_type"], doc["event_id"]) for doc in map(json.loads, lines)]


class StormSender:
    """An `HttpSender` that posts each batch `copies` times and records what was acknowledged."""

    def __init__(self, inner: HttpSender, ledger: AckLedger, copies: int = 3) -> None:
        self._inner = inner
        self._ledger = ledger
        self._copies = copies

    def send(self, body: bytes) -> SendResult:
        events = batch_events(body)
        delivered: SendResult | None = None
        last: SendResult | None = None
        for _ in range(self._copies):
            last = self._inner.send(body)
            self._ledger.count(f"posts_{last.outcome}")
            if last.outcome == "sent":
                rejected = {int(r["index"]) for r in last.rejected if "index" in r}
                self._ledger.record(events, rejected)
                delivered = delivered or last
        # the SDK retries the batch (with backoff) only if no copy got through
        assert last is not None
        return delivered or last

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
