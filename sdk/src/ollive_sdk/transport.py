"""The background transport: a bounded queue drained by one worker thread into gzip NDJSON batches.

The host thread only appends to a deque under a lock (dropping the newest event, counted, when
the queue is full). Everything else — encoding, masking, gzip, HTTP, retries — happens on the
worker, after the design of OpenTelemetry's BatchSpanProcessor. Every event ends in exactly one
counter: sent, dropped (by reason), filtered, or spooled to disk in durable mode.
"""

from __future__ import annotations

import atexit
import contextlib
import gzip
import os
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any

from ollive_sdk import backoff
from ollive_sdk._log import warn_once
from ollive_sdk.encode import Filtered, Mask, encode
from ollive_sdk.http_sender import HttpSender, SendResult
from ollive_sdk.spool import Spool
from ollive_sdk.stats import Stats, StatsSnapshot


@dataclass(frozen=True)
class TransportConfig:
    """Bounds of the transport; the defaults suit a web service sending a few thousand events/s."""

    max_queue_size: int = 10_000
    max_batch_events: int = 500
    max_batch_bytes: int = 1_000_000  # uncompressed NDJSON per request
    flush_interval_s: float = 1.0
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    max_retry_s: float = 600.0  # a poison batch must not block telemetry forever
    shutdown_timeout_s: float = 3.0
    gzip_level: int = 6


@dataclass
class _Batch:
    body: bytes
    count: int
    skipped: int = 0  # filtered or invalid events taken with it, resolved when it settles


class Transport:
    """Queue, worker and delivery policy for one client."""

    def __init__(
        self,
        sender: HttpSender,
        config: TransportConfig,
        stats: Stats,
        mask: Mask | None = None,
        spool: Spool | None = None,
    ) -> None:
        self._sender = sender
        self._cfg = config
        self._stats = stats
        self._mask = mask
        self._spool = spool
        self._init_state()
        _live.add(self)
        if spool is not None and spool.pending():
            self._ensure_worker()  # durable mode: re-send what a previous process left behind

    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._done = threading.Condition(threading.Lock())
        self._queue: deque[dict[str, Any]] = deque()
        self._enqueued = 0  # monotonic sequence of accepted events
        self._resolved = 0  # events the worker is finished with, in queue order
        self._queue_full = 0
        self._after_shutdown = 0
        self._flush_requested = False
        self._stopping = False
        self._deadline = float("inf")
        self._thread: threading.Thread | None = None
        self._inflight: _Batch | None = None
        self._down_until = 0.0  # durable mode: the API failed; spool instead of trying
        self._spool_attempt = 0

    # ----- host side: must stay cheap and never raise -----

    def enqueue(self, event: dict[str, Any]) -> bool:
        """Queue one raw event; False (and counted) when the queue is full or shut down."""
        with self._lock:
            if self._stopping:
                self._after_shutdown += 1
                return False
            if len(self._queue) >= self._cfg.max_queue_size:
                self._queue_full += 1
                full = True
            else:
                self._queue.append(event)
                self._enqueued += 1
                full = False
                if len(self._queue) == self._cfg.max_batch_events:
                    self._wake.notify()
            start = self._thread is None
        if start:
            self._ensure_worker()
        if full:
            warn_once("queue_full", "ollive: queue full, dropping newest events (see stats())")
        return not full

    def stats(self) -> StatsSnapshot:
        with self._lock:
            queued, enqueued = len(self._queue), self._enqueued
            host_drops = {"queue_full": self._queue_full, "after_shutdown": self._after_shutdown}
        snap = self._stats.snapshot(queued=queued)
        dropped = dict(snap.dropped)
        for reason, n in host_drops.items():
            if n:
                dropped[reason] = dropped.get(reason, 0) + n
        return StatsSnapshot(**{**snap.__dict__, "enqueued": enqueued, "dropped": dropped})

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until every event queued before the call is sent, dropped or spooled."""
        timeout_s = self._cfg.shutdown_timeout_s if timeout_s is None else timeout_s
        with self._lock:
            target = self._enqueued
            self._flush_requested = True
            self._wake.notify()
        deadline = time.monotonic() + timeout_s
        with self._done:
            while self._resolved < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._done.wait(left)
        return True

    def shutdown(self, timeout_s: float | None = None) -> bool:
        """Flush within `timeout_s`, then stop; what is left is spooled (durable) or dropped."""
        timeout_s = self._cfg.shutdown_timeout_s if timeout_s is None else timeout_s
        start = time.monotonic()
        with self._lock:
            if self._stopping:
                return True
            self._stopping = True
            self._deadline = start + timeout_s
            self._wake.notify()
            thread = self._thread
        _live.discard(self)
        if thread is not None:
            # Keep a tenth of the budget to unblock a send stuck on a silent server.
            thread.join(max(timeout_s * 0.9 - (time.monotonic() - start), 0))
            if thread.is_alive():
                self._sender.abort()
                thread.join(max(timeout_s - (time.monotonic() - start), 0))
        clean = thread is None or not thread.is_alive()
        self._abandon_rest()
        self._sender.close()
        return clean and not self._stats.snapshot().dropped.get("shutdown_timeout")

    # ----- worker side -----

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._thread is not None or self._stopping:
                return
            self._thread = threading.Thread(target=self._run, name="ollive-transport", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                if not self._step():
                    return
            except Exception as e:  # the worker must survive any bug of its own
                warn_once("worker", "ollive: transport error %r", e)
                time.sleep(0.05)

    def _step(self) -> bool:
        """One batch (or one spooled file); False once stopping and nothing is left."""
        wait_s = self._wait_s()  # may list the spool directory: not under the queue lock
        with self._lock:
            full = len(self._queue) >= self._cfg.max_batch_events
            if not (full or self._stopping or self._flush_requested):
                self._wake.wait(wait_s)
            raw = self._take(self._cfg.max_batch_events)
            if not self._queue:
                self._flush_requested = False
        if raw:
            batch = self._encode(raw)
            if batch is not None:
                self._deliver(batch)
        elif self._stopping:
            return False
        if self._spool is not None and time.monotonic() >= self._down_until:
            self._drain_one_spooled()
        return True

    def _wait_s(self) -> float:
        wait = self._cfg.flush_interval_s
        if self._spool is not None and self._spool.pending():
            wait = min(wait, max(self._down_until - time.monotonic(), 0.01))
        return wait

    def _take(self, n: int) -> list[dict[str, Any]]:
        q = self._queue
        return [q.popleft() for _ in range(min(n, len(q)))]

    def _resolve(self, n: int) -> None:
        with self._done:
            self._resolved += n
            self._done.notify_all()

    def _encode(self, raw: list[dict[str, Any]]) -> _Batch | None:
        lines: list[bytes] = []
        size = skipped = 0
        for i, event in enumerate(raw):
            try:
                line = encode(event, self._mask)
            except Filtered:
                self._stats.add("filtered")
                skipped += 1
                continue
            except Exception as e:
                reason = "mask_error" if self._mask is not None else "invalid"
                self._stats.drop(reason)
                skipped += 1
                warn_once(reason, "ollive: could not encode an event (%s): %r", reason, e)
                continue
            if lines and size + len(line) > self._cfg.max_batch_bytes:
                with self._lock:  # over the byte budget: the rest go back, first in line
                    self._queue.extendleft(reversed(raw[i:]))
                break
            lines.append(line)
            size += len(line)
        if not lines:
            self._resolve(skipped)
            return None
        body = gzip.compress(b"".join(lines), self._cfg.gzip_level)
        return _Batch(body, len(lines), skipped)

    def _deliver(self, batch: _Batch) -> None:
        """Send with retries; in durable mode a failing API sends batches to disk instead."""
        with self._lock:
            self._inflight = batch
        if self._spool is not None and time.monotonic() < self._down_until:
            if self._claim_inflight(batch):
                self._store(batch)
            return
        first = time.monotonic()
        attempt = 0
        while True:
            result = self._sender.send(batch.body)
            if result.outcome != "retry":
                self._settle(batch, result)
                return
            warn_once(
                f"retry:{result.reason}", "ollive: ingest failed (%s); retrying", result.reason
            )
            attempt += 1
            pause = backoff.delay(
                attempt, self._cfg.backoff_base_s, self._cfg.backoff_cap_s, result.retry_after_s
            )
            now = time.monotonic()
            if self._spool is not None:
                self._down_until = now + pause
                self._spool_attempt = attempt
                if self._claim_inflight(batch):
                    self._store(batch)
                return
            if now + pause - first > self._cfg.max_retry_s:
                self._give_up(batch, "retry_exhausted")
                return
            self._sleep(pause)
            if time.monotonic() >= self._deadline:
                self._give_up(batch, "shutdown_timeout")
                return
            self._stats.add("retried", batch.count)

    def _sleep(self, seconds: float) -> None:
        """Back off; a shutdown shortens the wait to its deadline, never below it."""
        end = time.monotonic() + seconds
        with self._lock:
            while (left := min(end, self._deadline) - time.monotonic()) > 0:
                self._wake.wait(left)

    def _claim_inflight(self, batch: _Batch) -> bool:
        """Whoever clears the in-flight slot accounts for it (worker or a timed-out shutdown)."""
        with self._lock:
            if self._inflight is not batch:
                return False
            self._inflight = None
            return True

    def _settle(self, batch: _Batch, result: SendResult) -> None:
        if not self._claim_inflight(batch):
            return
        self._resolve(batch.skipped)
        if result.outcome == "sent":
            rejected = min(len(result.rejected), batch.count)
            if rejected:
                self._stats.drop("rejected", rejected)
                warn_once("rejected", "ollive: ingest rejected events: %s", result.rejected[:3])
            self._stats.add("sent", batch.count - rejected)
            self._stats.add("batches_sent")
        else:
            self._stats.drop(result.reason, batch.count)
            warn_once(result.reason, "ollive: ingest refused a batch (%s), dropped", result.reason)
        self._resolve(batch.count)

    def _give_up(self, batch: _Batch, reason: str) -> None:
        if self._claim_inflight(batch):
            self._drop(batch, reason)

    def _drop(self, batch: _Batch, reason: str) -> None:
        self._stats.drop(reason, batch.count)
        self._resolve(batch.count + batch.skipped)

    def _store(self, batch: _Batch) -> None:
        """Spool a batch this thread owns (claimed in-flight, or never in flight)."""
        assert self._spool is not None
        try:
            written = self._spool.write(batch.body, batch.count)
        except OSError as e:
            warn_once("spool_error", "ollive: cannot write spool: %r", e)
            written = False
        if written:
            self._stats.add("spooled", batch.count)
        else:
            self._stats.drop("spool_full", batch.count)
        self._resolve(batch.count + batch.skipped)

    def _drain_one_spooled(self) -> None:
        assert self._spool is not None
        for path in self._spool.pending()[:1]:
            claimed = self._spool.claim(path)
            if claimed is None:
                return
            try:
                body = claimed.read_bytes()
            except OSError:
                self._spool.release(claimed)
                return
            count = self._spool.count(path)
            result = self._sender.send(body)
            if result.outcome == "retry":
                self._spool.release(claimed)
                self._spool_attempt += 1
                self._down_until = time.monotonic() + backoff.delay(
                    self._spool_attempt,
                    self._cfg.backoff_base_s,
                    self._cfg.backoff_cap_s,
                    result.retry_after_s,
                )
                return
            self._spool_attempt = 0
            self._down_until = 0.0
            self._spool.remove(claimed)
            self._stats.add("unspooled", count)
            if result.outcome == "sent":
                rejected = min(len(result.rejected), count)
                self._stats.drop("rejected", rejected)
                self._stats.add("sent", count - rejected)
                self._stats.add("batches_sent")
            else:
                self._stats.drop(result.reason, count)

    def _abandon_rest(self) -> None:
        """After shutdown: whatever is still in memory is spooled (durable) or counted dropped."""
        inflight = self._inflight
        if inflight is not None and self._claim_inflight(inflight):
            self._store_or_drop(inflight)
        with self._lock:
            raw = list(self._queue)
            self._queue.clear()
        if not raw:
            return
        if self._spool is None:
            self._stats.drop("shutdown_timeout", len(raw))
            self._resolve(len(raw))
            return
        while raw:
            n = len(raw)
            batch = self._encode(raw)  # may push the tail back onto the queue (byte budget)
            if batch is not None:
                self._store(batch)
            with self._lock:
                raw = list(self._queue)
                self._queue.clear()
            if len(raw) >= n:  # cannot happen, but never spin
                break

    def _store_or_drop(self, batch: _Batch) -> None:
        if self._spool is not None:
            self._store(batch)
        else:
            self._drop(batch, "shutdown_timeout")

    # ----- fork -----

    def _before_fork(self) -> None:
        self._lock.acquire()

    def _after_fork_parent(self) -> None:
        self._lock.release()

    def _after_fork_child(self) -> None:
        # The parent still owns its queued events and its connection; the child starts empty.
        self._init_state()
        self._sender.forget()
        self._stats.reset_after_fork()


_live: weakref.WeakSet[Transport] = weakref.WeakSet()


def _each(method: str) -> None:
    for transport in list(_live):
        with contextlib.suppress(Exception):
            getattr(transport, method)()


os.register_at_fork(
    before=lambda: _each("_before_fork"),
    after_in_parent=lambda: _each("_after_fork_parent"),
    after_in_child=lambda: _each("_after_fork_child"),
)


@atexit.register
def _shutdown_all() -> None:
    """A bounded flush at interpreter exit, for every transport still running."""
    for transport in list(_live):
        with contextlib.suppress(Exception):
            transport.shutdown()
