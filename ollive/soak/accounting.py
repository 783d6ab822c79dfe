"""The end of a soak: wait until the pipeline has settled, then hold it to the driver's truth —
every acknowledged event exactly once in the facts, rollups equal to facts, no planted personal
data anywhere, nothing stuck."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from ollive.soak import pii_search, warehouse
from ollive.soak.warehouse import MARTS


@dataclass
class Accounts:
    """What the final accounting found (all counts; zero where the promise holds)."""

    settled: bool
    settle_s: float
    acked: dict[str, int]
    in_facts: dict[str, int]
    lost: dict[str, int]
    duplicated: dict[str, int]
    unacked_in_facts: dict[str, int]
    rollup_vs_fact: dict[str, tuple[int, int]]
    staged: dict[str, tuple[int, int]]  # (rows, distinct event ids): the copies dbt dedupes
    raw_objects: int
    unloaded_objects: int
    quarantined_objects: int
    active_runs: dict[str, int]
    pii_in_archive: dict[str, int]
    pii_in_staging: dict[str, int]
    pii_in_facts: dict[str, int]
    lost_examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def held(self) -> bool:
        """The promise: nothing lost, duplicated, leaked or stuck."""
        return (
            self.settled
            and not any(self.lost.values())
            and not any(self.duplicated.values())
            and all(total == rows for total, rows in self.rollup_vs_fact.values())
            and not self.unloaded_objects
            and not self.quarantined_objects
            and not self.active_runs
            and not (self.pii_in_archive or self.pii_in_staging or self.pii_in_facts)
        )


@dataclass
class Probe:
    """The clients the accounting reads through."""

    s3: Any
    bucket: str
    ch: Any
    dagster_home: str
    service: str
    since_ms: int


def settle(
    probe: Probe,
    acked: dict[str, set[str]],
    timeout_s: float,
    say: Callable[[str], None],
    quiet_s: float = 30.0,
) -> tuple[bool, float]:
    """Wait until every raw object is loaded or quarantined, no run is active, and the facts
    have stopped changing for `quiet_s` (the sensors have nothing left to do)."""
    started = time.monotonic()
    last_change, last_seen = started, None
    want = sum(len(ids) for ids in acked.values())
    next_line = 0.0
    with dg.DagsterInstance.from_config(probe.dagster_home) as instance:
        while time.monotonic() - started < timeout_s:
            keys = warehouse.raw_keys_since(probe.s3, probe.bucket, probe.since_ms)
            unloaded = len(keys) - len(warehouse.manifest_status(probe.ch, keys))
            runs = warehouse.active_runs(instance)
            counts = _fact_totals(probe)
            seen = (unloaded, tuple(sorted(runs.items())), counts)
            now = time.monotonic()
            if seen != last_seen:
                last_change, last_seen = now, seen
            if now >= next_line:
                say(
                    f"  settling {now - started:5.0f}s: {unloaded} objects unloaded, runs {runs},"
                    f" {sum(counts)} events in facts (acked {want})"
                )
                next_line = now + 10
            if not unloaded and not runs and now - last_change >= quiet_s:
                return True, now - started
            time.sleep(3)
    return False, time.monotonic() - started


def _fact_totals(probe: Probe) -> tuple[int, ...]:
    totals = []
    for log_type in MARTS:
        try:
            totals.append(sum(warehouse.fact_counts(probe.ch, log_type, probe.service).values()))
        except Exception:  # a fact not built yet
            totals.append(0)
    return tuple(totals)


def account(
    probe: Probe,
    acked: dict[str, set[str]],
    needles: set[str],
    settled: tuple[bool, float],
) -> Accounts:
    """Compare the warehouse with what the driver saw acknowledged."""
    in_facts, lost, dup, extra, rollups, staged, examples = {}, {}, {}, {}, {}, {}, {}
    for log_type in MARTS:
        counts = warehouse.fact_counts(probe.ch, log_type, probe.service)
        ids = acked.get(log_type, set())
        missing = ids - counts.keys()
        in_facts[log_type] = sum(counts.values())
        lost[log_type] = len(missing)
        dup[log_type] = sum(1 for n in counts.values() if n > 1)
        extra[log_type] = len(counts.keys() - ids)
        rollups[log_type] = warehouse.rollup_vs_fact(probe.ch, log_type, probe.service)
        staged[log_type] = warehouse.staged_copies(probe.ch, log_type, probe.service)
        if missing:
            examples[log_type] = sorted(missing)[:5]
    keys = warehouse.raw_keys_since(probe.s3, probe.bucket, probe.since_ms)
    statuses = warehouse.manifest_status(probe.ch, keys)
    with dg.DagsterInstance.from_config(probe.dagster_home) as instance:
        runs = warehouse.active_runs(instance)
    facts = pii_search.fact_tables([fact for fact, _, _ in MARTS.values()])
    return Accounts(
        settled=settled[0],
        settle_s=settled[1],
        acked={log_type: len(ids) for log_type, ids in acked.items()},
        in_facts=in_facts,
        lost=lost,
        duplicated=dup,
        unacked_in_facts=extra,
        rollup_vs_fact=rollups,
        staged=staged,
        raw_objects=len(keys),
        unloaded_objects=len(keys) - len(statuses),
        quarantined_objects=sum(1 for s in statuses.values() if s == "quarantined"),
        active_runs=runs,
        pii_in_archive=pii_search.in_archive(probe.s3, probe.bucket, keys, needles),
        pii_in_staging=pii_search.in_tables(
            probe.ch, pii_search.staging_tables(), probe.service, needles
        ),
        pii_in_facts=pii_search.in_tables(probe.ch, facts, probe.service, needles),
        lost_examples=examples,
    )
