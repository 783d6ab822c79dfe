"""Fault soak: simulated chat traffic through the whole pipeline for `--minutes` while the
ingest API, SeaweedFS, the ClickHouse server, the Dagster daemon and code server, and load runs
are killed with SIGKILL at random (seeded) moments and restarted; every batch is delivered three
times, some clocks are skewed, hours late or far ahead. Then every acknowledged event must be in
the facts exactly once, rollups must equal facts, no planted personal data may be found in the
archive, staging or facts, and nothing may be stuck (docs/reliability.md).

    uv run python bench/soak.py --minutes 30

Starts a stack of its own (free ports, a temporary state directory) unless `--state-dir` names
one to reuse; prints a progress line every ~10 s, then the report, and writes
bench/results/soak.json. Exit status 1 if the promise did not hold. What the driver saw (acked
event ids, faults) is kept in `<state dir>/soak-driven.json`: `--account-only` settles and
accounts again on a stack kept with `--keep`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ollive.soak import report  # noqa: E402
from ollive.soak.chaos import FAULT_KINDS  # noqa: E402
from ollive.soak.runner import Driven, SoakConfig, drive, finish  # noqa: E402
from ollive.soak.stack import soak_settings, soak_specs, start  # noqa: E402


def say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=None, help="Default: from the clock.")
    parser.add_argument("--fault-gap", type=float, default=60.0, help="Mean s between faults.")
    parser.add_argument("--kinds", default=",".join(FAULT_KINDS))
    parser.add_argument("--conversations-per-tick", type=int, default=4)
    parser.add_argument("--tick", type=float, default=2.0, help="Seconds between ticks.")
    parser.add_argument("--settle-timeout", type=float, default=2400.0, help="Seconds.")
    parser.add_argument("--state-dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="Leave the stack running.")
    parser.add_argument(
        "--account-only",
        action="store_true",
        help="Only settle and account, from --state-dir's soak-driven.json (stack up or not).",
    )
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(time.time()) % 1_000_000
    state = args.state_dir or Path(tempfile.mkdtemp(prefix="ollive-soak-"))
    settings = soak_settings(state)
    say(f"stack in {state}")
    supervisor = start(settings)
    config = SoakConfig(
        minutes=args.minutes,
        seed=seed,
        mean_fault_gap_s=args.fault_gap,
        kinds=tuple(args.kinds.split(",")),
        per_tick=args.conversations_per_tick,
        tick_s=args.tick,
        settle_timeout_s=args.settle_timeout,
    )
    saved = state / "soak-driven.json"
    try:
        if args.account_only:
            driven = Driven.from_json(json.loads(saved.read_text()))
        else:
            driven = drive(settings, supervisor, soak_specs(settings), config, say)
            saved.write_text(json.dumps(driven.to_json()))
            say(f"driver's truth kept in {saved}")
        result = finish(settings, driven, say)
    finally:
        if not args.keep:
            supervisor.down(report=say)
    for line in report.lines(result):
        print(line)
    doc = report.as_json(result) | {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
    }
    out = ROOT / "bench" / "results" / "soak.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, default=str))
    print(f"wrote {out.relative_to(ROOT)}")
    return 0 if result.accounts.held else 1


if __name__ == "__main__":
    sys.exit(main())
