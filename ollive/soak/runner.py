"""One soak: traffic for `minutes` while faults hit the stack at random (seeded) moments, then
the accounting; a progress line every ~10 s."""

from __future__ import annotations

import dataclasses
import os
import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import clickhouse_connect

from ollive.soak.accounting import Accounts, Probe, account, settle
from ollive.soak.chaos import FAULT_KINDS, RUN_FAULT, Chaos, Fault
from ollive.soak.ledger import AckLedger
from ollive.soak.traffic import Traffic, planted_pii
from ollive.stack.process import ServiceSpec
from ollive.stack.services import s3_credentials
from ollive.stack.supervisor import Supervisor
from ollive_contract.settings import StackSettings

Say = Callable[[str], None]


@dataclass(frozen=True)
class SoakConfig:
    minutes: float
    seed: int
    mean_fault_gap_s: float = 60.0
    kinds: tuple[str, ...] = FAULT_KINDS
    per_tick: int = 4  # conversations every tick
    tick_s: float = 2.0
    copies: int = 3  # deliveries of every batch
    settle_timeout_s: float = 900.0
    service: str = "ollive-soak"


@dataclass
class SoakReport:
    config: SoakConfig
    seconds: float
    faults: list[Fault]
    counters: dict[str, int]
    accounts: Accounts
    planted: dict[str, int]
    loadavg: tuple[float, float, float] = field(default_factory=os.getloadavg)

    def recovery_by_kind(self) -> dict[str, dict[str, float | int | None]]:
        out: dict[str, dict[str, float | int | None]] = {}
        for kind in sorted({f.kind for f in self.faults}):
            times = [f.recovery_s for f in self.faults if f.kind == kind]
            done = [t for t in times if t is not None]
            out[kind] = {
                "injected": len(times),
                "recovered": len(done),
                "median_s": round(statistics.median(done), 1) if done else None,
                "max_s": round(max(done), 1) if done else None,
            }
        return out


def clickhouse_client(settings: StackSettings) -> Any:
    return clickhouse_connect.get_client(
        host=settings.clickhouse.host,
        port=settings.clickhouse.port,
        username=settings.clickhouse.user,
        password=settings.clickhouse.password.get_secret_value(),
    )


def fault_schedule(seed: int, seconds: float, mean_gap_s: float, kinds: tuple[str, ...]):
    """(offset, kind) pairs: every kind once per round, rounds shuffled, gaps uniform around
    the mean; the same seed gives the same schedule."""
    rng = random.Random(seed)
    at, out = rng.uniform(0.3, 1.0) * mean_gap_s, []
    while at < seconds:
        for kind in rng.sample(kinds, len(kinds)):
            if at >= seconds:
                break
            out.append((at, kind))
            at += rng.uniform(0.5, 1.5) * mean_gap_s
    return out


@dataclass
class Driven:
    """What the traffic-and-faults phase leaves for the accounting (JSON-serialisable, so an
    accounting can be redone on a kept stack)."""

    config: SoakConfig
    since_ms: int
    seconds: float
    faults: list[Fault]
    counters: dict[str, int]
    acked: dict[str, list[str]]
    seeds: list[int]
    flushed: bool

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Driven:
        doc = dict(doc)
        doc["config"] = SoakConfig(**{**doc["config"], "kinds": tuple(doc["config"]["kinds"])})
        doc["faults"] = [Fault(**f) for f in doc["faults"]]
        return cls(**doc)


def run_soak(
    settings: StackSettings,
    supervisor: Supervisor,
    specs: list[ServiceSpec],
    config: SoakConfig,
    say: Say = print,
) -> SoakReport:
    return finish(settings, drive(settings, supervisor, specs, config, say), say)


def drive(
    settings: StackSettings,
    supervisor: Supervisor,
    specs: list[ServiceSpec],
    config: SoakConfig,
    say: Say = print,
) -> Driven:
    """Traffic for `config.minutes` while the faults hit; returns once the SDK has delivered
    what it held, every fault has recovered (or timed out) and every service is up."""
    say(f"soak: seed {config.seed}, {config.minutes:g} min, faults {', '.join(config.kinds)}")
    ledger = AckLedger()
    dagster_home = settings.state_path / "dagster"
    chaos = Chaos(supervisor, specs, dagster_home, lambda: clickhouse_client(settings), say)
    since_ms = int(time.time() * 1000) - 1000
    traffic = Traffic(
        settings.ingest.url,
        settings.ingest.demo_api_key.get_secret_value(),
        config.service,
        config.seed,
        ledger,
        config.per_tick,
        config.tick_s,
        config.copies,
    )
    seconds = config.minutes * 60
    schedule = fault_schedule(config.seed, seconds, config.mean_fault_gap_s, config.kinds)
    faults: list[Fault] = []
    started = time.monotonic()
    stop = threading.Event()
    progress = threading.Thread(
        target=_progress, args=(ledger, traffic, faults, started, stop, say), daemon=True
    )
    traffic.start()
    progress.start()
    waiters = _inject(chaos, schedule, started, faults, say)
    remaining = seconds - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    say("soak: traffic stops; waiting for the SDK to deliver what it holds")
    elapsed = time.monotonic() - started
    flushed = traffic.stop()
    # a service whose restart failed is started again before waiting on the faults still
    # recovering (a killed run's objects load only with a daemon)
    for waiter in [w for w in waiters if w.is_alive() and not w.name.endswith(RUN_FAULT)]:
        waiter.join()
    restarted = chaos.ensure_up()
    if restarted:
        say(f"soak: restarted services found down: {restarted}")
    for waiter in waiters:
        waiter.join()
    stop.set()
    say(f"soak: {ledger.total()} events acknowledged ({'all' if flushed else 'NOT all'} flushed)")
    return Driven(
        config,
        since_ms,
        elapsed,
        sorted(faults, key=lambda f: f.at_s),
        dict(ledger.counters),
        {log_type: sorted(ids) for log_type, ids in ledger.snapshot().items()},
        list(traffic.seeds),
        flushed,
    )


def finish(settings: StackSettings, driven: Driven, say: Say = print) -> SoakReport:
    """Settle, then account for every acknowledged event."""
    config = driven.config
    creds = s3_credentials(settings)
    probe = Probe(
        s3=creds.client(),
        bucket=creds.bucket,
        ch=clickhouse_client(settings),
        dagster_home=str(settings.state_path / "dagster"),
        service=config.service,
        since_ms=driven.since_ms,
    )
    acked = {log_type: set(ids) for log_type, ids in driven.acked.items()}
    settled = settle(probe, acked, config.settle_timeout_s, say)
    planted = planted_pii(driven.seeds, config.per_tick)
    needles = set().union(*planted.values())
    accounts = account(probe, acked, needles, settled)
    return SoakReport(
        config,
        driven.seconds,
        driven.faults,
        driven.counters,
        accounts,
        {kind: len(values) for kind, values in planted.items()},
    )


def _inject(
    chaos: Chaos, schedule: list[tuple[float, str]], started: float, faults: list[Fault], say: Say
) -> list[threading.Thread]:
    """Inject each fault at its time, each on a thread of its own (a restart may still be
    under way when the next fault hits); a thread ends when its fault has recovered."""
    waiters = []
    for at, kind in schedule:
        delay = at - (time.monotonic() - started)
        if delay > 0:
            time.sleep(delay)
        offset = time.monotonic() - started

        def one(kind: str = kind, offset: float = offset) -> None:
            _record(chaos.inject(kind, offset), faults, say)

        waiter = threading.Thread(target=one, name=f"fault-{kind}", daemon=True)
        waiter.start()
        waiters.append(waiter)
    return waiters


def _record(fault: Fault, faults: list[Fault], say: Say) -> None:
    faults.append(fault)
    took = "NOT recovered" if fault.recovery_s is None else f"recovered in {fault.recovery_s:.1f}s"
    say(f"  fault at {fault.at_s:6.0f}s: kill -9 {fault.kind} ({fault.detail}), {took}")


def _progress(
    ledger: AckLedger,
    traffic: Traffic,
    faults: list[Fault],
    started: float,
    stop: threading.Event,
    say: Say,
) -> None:
    while not stop.wait(10):
        stats = traffic.client.stats()
        load = os.getloadavg()[0]
        say(
            f"  {time.monotonic() - started:6.0f}s: {ledger.total()} acked, "
            f"{stats.queued} queued in the SDK, {stats.dropped_total} dropped, "
            f"{ledger.counters.get('posts_retry', 0)} failed posts, {len(faults)} faults, "
            f"load {load:.1f}"
        )
