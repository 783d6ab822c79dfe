"""CPU cost of the ingest worker's step per event, by stage, and against a baseline tree.

Runs the worker step in this process on the load bench's gzip NDJSON bodies and counts CPU
seconds (`time.process_time`), not wall time, so that other processes on the machine move the
figures less. Stages: parse (gunzip and split the NDJSON), validate (the contract models),
redact (`Redactor.redact`, timed call by call) and encode (the stored line: the rest of
`to_record`). Modes on the same bodies: PII off, PII on with the fast path, PII on with plain
Presidio (fewer bodies: it is slow). Bodies come in rounds of fresh strings; caches stay warm
across rounds, as in a running worker.

`--baseline-tree DIR` (a `git worktree add DIR <commit>` checkout) also runs the whole step
(`prepare.prepare`, PII on) of that tree's code and of this tree's, each in a fresh child
process (cold caches) on the same bodies, alternated `--alternate` times, and prints the ratio.

    uv run python bench/ingest_prepare.py [--rounds 4] [--bodies 10] [--batch 250]
        [--baseline-tree /tmp/old --alternate 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.ingest_common import report
from bench.ingest_load import _bodies, mix_shares
from ingest_api.intake import prepare
from ingest_api.intake.body import decode, parse_events
from ingest_api.intake.records import to_record
from ingest_api.intake.validation import validate_events
from ingest_api.intake.workers import prepare_config
from ollive_contract.settings import IngestSettings

STAGES = ("parse", "validate", "redact", "encode")


class _TimedRedactor:
    """Wraps a redactor and adds up the CPU seconds spent inside `redact`."""

    def __init__(self, redactor) -> None:
        self.redactor, self.seconds = redactor, 0.0

    def redact(self, text: str):
        started = time.process_time()
        try:
            return self.redactor.redact(text)
        finally:
            self.seconds += time.process_time() - started


def _stages(rounds: list[list[bytes]]) -> dict[str, float]:
    """CPU seconds per stage over every body of `rounds`, as `prepare.prepare` runs them."""
    config, redactor = prepare.worker_setup()
    timed = _TimedRedactor(redactor) if redactor is not None else None
    now = datetime.now(UTC)
    spent = dict.fromkeys(STAGES, 0.0)
    for bodies in rounds:
        for body in bodies:
            t0 = time.process_time()
            raw = parse_events(
                decode(body, "gzip", config.max_decompressed_bytes),
                "application/x-ndjson",
                config.max_events_per_request,
            )
            t1 = time.process_time()
            events = validate_events(raw).events
            t2 = time.process_time()
            redact_before = timed.seconds if timed else 0.0
            counts: Counter[str] = Counter()
            for event in events:
                to_record(
                    event, received_at=now, project_id="bench", redactor=timed, entity_counts=counts
                )
            t3 = time.process_time()
            redacted = (timed.seconds if timed else 0.0) - redact_before
            spent["parse"] += t1 - t0
            spent["validate"] += t2 - t1
            spent["redact"] += redacted
            spent["encode"] += t3 - t2 - redacted
    return spent


# run in a child whose first import path is the baseline tree: its code, its body generator
_CHILD = """
import sys, time
from datetime import UTC, datetime
from bench.ingest_load import _bodies
from ingest_api.intake import prepare
from ingest_api.intake.workers import prepare_config
from ollive_contract.settings import IngestSettings
rounds_, bodies_, batch_ = (int(a) for a in sys.argv[1:4])
rounds = [_bodies(100 + r, bodies_, batch_) for r in range(rounds_)]
prepare.init(prepare_config(IngestSettings(pii_enabled=True)))
now = datetime.now(UTC)
prepare.prepare(rounds[0][0], "gzip", "application/x-ndjson", now, "warm")
started = time.process_time()
for bodies in rounds:
    for body in bodies:
        prepare.prepare(body, "gzip", "application/x-ndjson", now, "bench")
print("whole_step:", rounds_ * bodies_ * batch_ / (time.process_time() - started))
"""


def _tree_rate(tree: Path, args: argparse.Namespace) -> float:
    """The whole step's events per CPU second with `tree`'s code, in a child process."""
    command = [sys.executable, "-c", _CHILD, str(args.rounds), str(args.bodies), str(args.batch)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True, text=True)
    return float(out.stdout.rsplit("whole_step: ", 1)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--bodies", type=int, default=10, help="bodies per round")
    parser.add_argument("--batch", type=int, default=250, help="events per body")
    parser.add_argument("--baseline-tree", type=Path, help="a checkout of the code to compare")
    parser.add_argument("--alternate", type=int, default=2, help="baseline/this pairs")
    args = parser.parse_args()
    rounds = [_bodies(100 + r, args.bodies, args.batch) for r in range(args.rounds)]
    events = sum(map(len, rounds)) * args.batch
    figures = mix_shares()
    figures["load_average_1m"] = (os.getloadavg()[0], "")
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
        prepare.prepare(rounds[0][0], "gzip", "application/x-ndjson", datetime.now(UTC), "warm")
        n = sum(map(len, work)) * args.batch
        spent = _stages(work)
        for stage in STAGES:
            per_s = n / spent[stage] if spent[stage] else float("inf")
            figures[f"{name}_{stage}"] = (per_s, "events/CPU-s")
            figures[f"{name}_{stage}_us"] = (1e6 * spent[stage] / n, "CPU-us/event")
        figures[f"prepare_{name}"] = (n / sum(spent.values()), "events/CPU-s")
        print(f"{name}: {figures[f'prepare_{name}'][0]:.0f} events/CPU-s", flush=True)
    off = figures["prepare_pii_off"][0]
    fast = figures["prepare_pii_on_fast_path"][0]
    plain = figures["prepare_pii_on_plain_presidio"][0]
    figures["fast_path_vs_plain"] = (fast / plain, "x")
    figures["pii_on_vs_off"] = (fast / off, "x")
    if args.baseline_tree:
        ours, theirs = [], []
        for i in range(args.alternate):
            theirs.append(_tree_rate(args.baseline_tree, args))
            ours.append(_tree_rate(Path(__file__).resolve().parents[1], args))
            print(f"pair {i + 1}: baseline {theirs[-1]:.0f}, this tree {ours[-1]:.0f}", flush=True)
        figures["whole_step_baseline"] = (sum(theirs) / len(theirs), "events/CPU-s")
        figures["whole_step_this_tree"] = (sum(ours) / len(ours), "events/CPU-s")
        figures["this_tree_vs_baseline"] = (sum(ours) / sum(theirs), "x")
    figures["events_per_mode"] = (events, "events")
    figures["load_average_1m_end"] = (os.getloadavg()[0], "")
    report("ingest_prepare", figures, {"args": {k: str(v) for k, v in vars(args).items()}})


if __name__ == "__main__":
    main()
