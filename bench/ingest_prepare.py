"""CPU cost of the ingest worker's step per event, by stage, and against a baseline tree.

Runs the worker step in this process on the load bench's gzip NDJSON bodies and counts CPU
seconds (`time.process_time`), not wall time, so that other processes on the machine move the
figures less. Stages: parse (gunzip and split the NDJSON), validate (the contract models),
redact (`Redactor.redact`: the events are encoded a second time with its recorded answers
replayed, and redact is the difference) and encode (the stored line: the rest of
`to_record`). Modes on the same bodies: PII off, PII on with the fast path, PII on with plain
Presidio (fewer bodies: it is slow). Bodies come in rounds of fresh strings; caches stay warm
across rounds, as in a running worker.

`--baseline-tree DIR` (a `git worktree add DIR <commit>` checkout) also runs the whole step
(`prepare.prepare`, PII on) of that tree's code and of this tree's, each in a fresh child
process (cold caches) on the same bodies, alternated `--alternate` times, and prints the ratio;
then the same stage split as above for each tree (on fresh bodies, caches warm). Repeated,
with one checkout per change (oldest first), it gives each change's figures in one run.

    uv run python bench/ingest_prepare.py [--rounds 4] [--bodies 10] [--batch 250]
        [--baseline-tree /tmp/old [--baseline-tree /tmp/newer ...] --alternate 2]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.ingest_common import report
from bench.ingest_load import _bodies, mix_shares
from ingest_api.intake import prepare
from ingest_api.intake.body import decode, parse_events
from ingest_api.intake.records import to_record
from ingest_api.intake.validation import validate_events
from ingest_api.intake.workers import freeze_long_lived, prepare_config
from ollive_contract.settings import IngestSettings

STAGES = ("parse", "validate", "redact", "encode")


def _record_all(events: Iterable[Any], now: datetime, redactor: Any, counts: Counter[str]) -> None:
    """`to_record` on every event, as the worker step does (the redactor may be None)."""
    for event in events:
        to_record(
            event, received_at=now, project_id="bench", redactor=redactor, entity_counts=counts
        )


class _RecordingRedactor:
    """Wraps a redactor and keeps each answer, so that a second pass can replay them."""

    def __init__(self, redactor) -> None:
        self.redactor, self.answers = redactor, {}

    def redact(self, text: str):
        answer = self.answers[text] = self.redactor.redact(text)
        return answer


class _ReplayingRedactor:
    """Answers from a recording: `to_record` with it costs the encode stage alone."""

    def __init__(self, answers: dict) -> None:
        self.redact = answers.__getitem__


def _stages(rounds: list[list[bytes]]) -> dict[str, float]:
    """CPU seconds per stage over every body of `rounds`, as `prepare.prepare` runs them.

    Redact is not timed call by call (a CPU clock read costs ~0.6 us, more than some calls):
    each body's events are encoded twice, with the redactor (redact + encode) and then with
    its recorded answers replayed (encode and a dictionary lookup per string); redact is the
    difference.
    """
    config, redactor = prepare.worker_setup()
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
            recording = _RecordingRedactor(redactor) if redactor is not None else None
            counts: Counter[str] = Counter()
            _record_all(events, now, recording, counts)
            t3 = time.process_time()
            replay = _ReplayingRedactor(recording.answers) if recording is not None else None
            _record_all(events, now, replay, counts)
            t4 = time.process_time()
            encode = t4 - t3
            spent["parse"] += t1 - t0
            spent["validate"] += t2 - t1
            spent["redact"] += max(0.0, (t3 - t2) - encode) if redactor is not None else 0.0
            spent["encode"] += encode if redactor is not None else t3 - t2
    return spent


# run in a child whose first import path is the baseline tree: its code, its body generator;
# the stage split is this file's (`_stages` and the redactors it uses, appended as source)
_CHILD_HEAD = """
import json, sys, time
from collections import Counter
from collections.abc import Iterable
from typing import Any
from datetime import UTC, datetime
from bench.ingest_load import _bodies
from ingest_api.intake import prepare
from ingest_api.intake.body import decode, parse_events
from ingest_api.intake.records import to_record
from ingest_api.intake.validation import validate_events
from ingest_api.intake import workers
from ingest_api.intake.workers import prepare_config
from ollive_contract.settings import IngestSettings
STAGES = %r
"""
_CHILD_MAIN = """
rounds_, bodies_, batch_ = (int(a) for a in sys.argv[1:4])
rounds = [_bodies(100 + r, bodies_, batch_) for r in range(rounds_)]
prepare.init(prepare_config(IngestSettings(pii_enabled=True)))
getattr(workers, "freeze_long_lived", lambda: None)()  # as that tree's worker does, if it does
now = datetime.now(UTC)
prepare.prepare(rounds[0][0], "gzip", "application/x-ndjson", now, "warm")
started = time.process_time()
for bodies in rounds:
    for body in bodies:
        prepare.prepare(body, "gzip", "application/x-ndjson", now, "bench")
events = rounds_ * bodies_ * batch_
out = {"whole_step": events / (time.process_time() - started)}
# the split on fresh bodies, caches warm from the pass above (as in a running worker)
spent = _stages([_bodies(200 + r, bodies_, batch_) for r in range(rounds_)])
out.update({stage: 1e6 * seconds / events for stage, seconds in spent.items()})
print("child:", json.dumps(out))
"""


def _child_script() -> str:
    parts = (_record_all, _RecordingRedactor, _ReplayingRedactor, _stages)
    return _CHILD_HEAD % (STAGES,) + "\n\n".join(inspect.getsource(p) for p in parts) + _CHILD_MAIN


def _tree_run(tree: Path, args: argparse.Namespace) -> dict[str, float]:
    """`tree`'s code in a child process: whole step (events/CPU-s) and CPU-us/event by stage."""
    script = _child_script()
    command = [sys.executable, "-c", script, str(args.rounds), str(args.bodies), str(args.batch)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.rsplit("child: ", 1)[1])


def _compare_trees(args: argparse.Namespace, figures: dict[str, tuple[float, str]]) -> None:
    """Each baseline tree and this one in turn, `--alternate` rounds: whole step and stages.

    With one baseline the names are `baseline` and `this_tree`; with several (one checkout per
    change, oldest first) each is named after its directory, so that one run gives what each
    change brought, side by side under the same load.
    """
    this = Path(__file__).resolve().parents[1]
    trees = {
        ("baseline" if len(args.baseline_tree) == 1 else t.name): t for t in args.baseline_tree
    }
    trees["this_tree"] = this
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for i in range(args.alternate):
        for name, tree in trees.items():
            runs[name].append(_tree_run(tree, args))
        rates = ", ".join(f"{name} {r[-1]['whole_step']:.0f}" for name, r in runs.items())
        print(f"round {i + 1}: {rates} events/CPU-s", flush=True)
    for name, results in runs.items():
        for key in ("whole_step", *STAGES):
            mean = sum(r[key] for r in results) / len(results)
            if key == "whole_step":
                figures[f"whole_step_{name}"] = (mean, "events/CPU-s")
            else:
                figures[f"{name}_{key}_us"] = (mean, "CPU-us/event")
    ours = sum(r["whole_step"] for r in runs["this_tree"])
    for name, results in runs.items():
        if name != "this_tree":
            label = "this_tree_vs_baseline" if name == "baseline" else f"this_tree_vs_{name}"
            figures[label] = (ours / sum(r["whole_step"] for r in results), "x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--bodies", type=int, default=10, help="bodies per round")
    parser.add_argument("--batch", type=int, default=250, help="events per body")
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        action="append",
        help="a checkout of the code to compare (repeat: one per change, oldest first)",
    )
    parser.add_argument("--alternate", type=int, default=2, help="rounds over the trees")
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
        freeze_long_lived()  # as a worker process does after `prepare.init`
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
        _compare_trees(args, figures)
    figures["events_per_mode"] = (events, "events")
    figures["load_average_1m_end"] = (os.getloadavg()[0], "")
    report("ingest_prepare", figures, {"args": {k: str(v) for k, v in vars(args).items()}})


if __name__ == "__main__":
    main()
