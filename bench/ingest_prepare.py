"""CPU cost of the ingest worker's step (decode, validate, redact, serialise) per event.

Runs `ingest_api.intake.prepare.prepare` in this process on the load bench's gzip NDJSON bodies and
counts CPU seconds (`time.process_time`), not wall time, so that other processes on the
machine move the figures less. Same bodies, same run: PII off, PII on with the fast
path, and PII on with plain Presidio (fewer bodies: it is slow). The bodies come in rounds of
fresh strings; caches stay warm across rounds, as in a running worker.

    uv run python bench/ingest_prepare.py [--rounds 4] [--bodies 10] [--batch 250]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.ingest_common import report
from bench.ingest_load import _bodies, mix_shares
from ingest_api.intake import prepare
from ingest_api.intake.workers import prepare_config
from ollive_contract.settings import IngestSettings


def _events_per_cpu_second(rounds: list[list[bytes]], batch: int) -> float:
    now = datetime.now(UTC)
    cpu = 0.0
    for bodies in rounds:
        started = time.process_time()
        for body in bodies:
            prepare.prepare(body, "gzip", "application/x-ndjson", now, "bench")
        cpu += time.process_time() - started
    return sum(map(len, rounds)) * batch / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--bodies", type=int, default=10, help="bodies per round")
    parser.add_argument("--batch", type=int, default=250, help="events per body")
    args = parser.parse_args()
    rounds = [_bodies(100 + r, args.bodies, args.batch) for r in range(args.rounds)]
    figures = mix_shares()
    modes = {
        "pii_off": (IngestSettings(pii_enabled=False), rounds),
        "pii_on_fast_path": (IngestSettings(pii_enabled=True), rounds),
        "pii_on_plain_presidio": (
            IngestSettings(pii_enabled=True, pii_fast_path=False),
            [rounds[0][: max(1, args.bodies // 5)]],
        ),
    }
    for name, (settings, work) in modes.items():
        prepare.init(prepare_config(settings))
        figures[f"prepare_{name}"] = (_events_per_cpu_second(work, args.batch), "events/CPU-s")
        print(f"{name}: {figures[f'prepare_{name}'][0]:.0f} events/CPU-s", flush=True)
    off = figures["prepare_pii_off"][0]
    fast = figures["prepare_pii_on_fast_path"][0]
    plain = figures["prepare_pii_on_plain_presidio"][0]
    figures["fast_path_vs_plain"] = (fast / plain, "x")
    figures["pii_on_vs_off"] = (fast / off, "x")
    report("ingest_prepare", figures, {"args": vars(args)})


if __name__ == "__main__":
    main()
