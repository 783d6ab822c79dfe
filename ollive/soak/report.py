"""The soak's report as `name: value unit` lines and as JSON."""

from __future__ import annotations

import dataclasses
from typing import Any

from ollive.soak.runner import SoakReport

CLOCK_KINDS = ("skewed", "late", "ahead", "far_ahead")


def lines(report: SoakReport) -> list[str]:
    a = report.accounts
    out = [
        f"seed: {report.config.seed}",
        f"duration: {report.seconds / 60:.1f} min of traffic, then {a.settle_s:.0f} s to settle"
        + ("" if a.settled else " (did NOT settle)"),
        f"events acked: {sum(a.acked.values())} events "
        + ", ".join(f"{k} {v}" for k, v in sorted(a.acked.items())),
        f"posts: {report.counters.get('posts_sent', 0)} acknowledged, "
        f"{report.counters.get('posts_retry', 0)} failed (retried by the SDK), "
        f"{report.counters.get('posts_drop', 0)} refused",
        "clock faults: "
        + ", ".join(f"{k} {report.counters.get(f'clock_{k}', 0)}" for k in CLOCK_KINDS)
        + " events",
        f"events refused by the API: {report.counters.get('rejected', 0)} (every copy counted)",
    ]
    for kind, r in report.recovery_by_kind().items():
        out.append(
            f"fault {kind}: {r['injected']} injected, {r['recovered']} recovered, "
            f"recovery median {r['median_s']} s, max {r['max_s']} s"
        )
    out += [
        f"lost: {sum(a.lost.values())} events " + _by_type(a.lost),
        f"duplicated: {sum(a.duplicated.values())} events " + _by_type(a.duplicated),
        f"in facts, acked or not: {sum(a.in_facts.values())} events "
        f"({sum(a.unacked_in_facts.values())} delivered without an ack seen)",
        "staged rows / distinct events: "
        + ", ".join(f"{k} {rows}/{ids}" for k, (rows, ids) in sorted(a.staged.items())),
        "rollup vs fact: "
        + ", ".join(f"{k} {total}/{rows}" for k, (total, rows) in sorted(a.rollup_vs_fact.items())),
        f"raw objects: {a.raw_objects}, unloaded {a.unloaded_objects}, "
        f"quarantined {a.quarantined_objects}",
        f"runs still active: {a.active_runs or 0}",
        "planted PII: " + ", ".join(f"{k} {v}" for k, v in sorted(report.planted.items())),
        f"PII found: archive {a.pii_in_archive or 0}, staging {a.pii_in_staging or 0}, "
        f"facts {a.pii_in_facts or 0}",
        f"load average: {report.loadavg[0]:.1f} {report.loadavg[1]:.1f} {report.loadavg[2]:.1f}",
        f"held: {'yes' if a.held else 'NO'}",
    ]
    return out


def _by_type(counts: dict[str, int]) -> str:
    return "(" + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ")"


def as_json(report: SoakReport) -> dict[str, Any]:
    doc = dataclasses.asdict(report)
    doc["recovery_by_kind"] = report.recovery_by_kind()
    doc["held"] = report.accounts.held
    return doc
