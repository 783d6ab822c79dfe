"""Where a running stack's Dagster runs spend their time, phase by phase, from the run log.

Reads the instance of `ollive up` (`<state_dir>/dagster`) and prints, for its latest runs, the
phases that decide freshness: `sensed` (load runs only: from each object's arrival, which its
key carries, to the run's creation, averaged over the run's objects: the API's commit and PUT,
then the raw objects sensor), queued
(created → launched; of it, `create`: created → enqueued,
the run's planned-asset events written at creation), launch (→ the run process has loaded the
definitions and started), step (→ first step), work (→ first asset event), events (first → last
asset event), and the total; then the medians per job, with `rollup`: created → the
materialization of `agg_inference_5m` (the rollup `bench/freshness.py` probes) in the runs that
build it. `bench/freshness.py` prints the same
table after its probes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ollive_contract.settings import StackSettings  # noqa: E402

PHASES = ("sensed", "create", "queued", "launch", "step", "work", "events", "total")
PROBED_ROLLUP = "agg_inference_5m"


@dataclass
class RunPhases:
    job: str
    created: float
    seconds: dict[str, float]
    asset_events: int
    rollup: float | None = None


def mean_arrival(run_config: dict) -> float | None:
    """Epoch seconds of the mean arrival of a load run's objects, from their keys (None for a
    run without keys, e.g. a dbt build)."""
    from ollive_contract.object_keys import ObjectKey

    arrivals = [
        ObjectKey.parse(key).received_at.timestamp()
        for op in (run_config.get("ops") or {}).values()
        for key in ((op or {}).get("config") or {}).get("object_keys", [])
    ]
    return statistics.fmean(arrivals) if arrivals else None


def run_phases(home: Path, limit: int = 100) -> list[RunPhases]:
    """The phases of the newest `limit` finished runs, oldest first."""
    import dagster as dg
    from dagster._core.events import DagsterEventType as T

    asset_kinds = {T.ASSET_MATERIALIZATION, T.ASSET_CHECK_EVALUATION, T.ASSET_OBSERVATION}
    out = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for record in instance.get_run_records(limit=limit):
            stamps: dict[T, list[float]] = {}
            rollup = None
            for entry in instance.all_logs(record.dagster_run.run_id):
                if entry.dagster_event:
                    stamps.setdefault(entry.dagster_event.event_type, []).append(entry.timestamp)
                    key = entry.dagster_event.asset_key
                    if (
                        entry.dagster_event.event_type == T.ASSET_MATERIALIZATION
                        and key is not None
                        and key.to_user_string() == PROBED_ROLLUP
                    ):
                        rollup = entry.timestamp
            ends = stamps.get(T.RUN_SUCCESS) or stamps.get(T.RUN_FAILURE)
            needed = (T.RUN_STARTING, T.RUN_START, T.STEP_START)
            if not ends or any(kind not in stamps for kind in needed):
                continue  # still running, or never launched
            created = record.create_timestamp.timestamp()
            assets = sorted(t for kind in asset_kinds for t in stamps.get(kind, []))
            step = stamps[T.STEP_START][0]
            first, last = (assets[0], assets[-1]) if assets else (step, step)
            enqueued = stamps.get(T.RUN_ENQUEUED, [created])[0]
            seconds = {
                "create": enqueued - created,
                "queued": stamps[T.RUN_STARTING][0] - created,
                "launch": stamps[T.RUN_START][0] - stamps[T.RUN_STARTING][0],
                "step": step - stamps[T.RUN_START][0],
                "work": first - step,
                "events": last - first,
                "total": ends[0] - created,
            }
            arrived = mean_arrival(record.dagster_run.run_config)
            if arrived is not None:
                seconds["sensed"] = created - arrived
            out.append(
                RunPhases(
                    record.dagster_run.job_name,
                    created,
                    seconds,
                    len(assets),
                    None if rollup is None else rollup - created,
                )
            )
    return sorted(out, key=lambda r: r.created)


def print_phases(runs: list[RunPhases]) -> dict[str, dict[str, float]]:
    """Print one line per run and the medians per job; return the medians."""
    print(f"  {'job':<18}" + "".join(f"{p:>8}" for p in PHASES) + "  asset events")
    for run in runs:
        cells = "".join(
            f"{run.seconds[p]:8.1f}" if p in run.seconds else f"{'-':>8}" for p in PHASES
        )
        print(f"  {run.job[:18]:<18}{cells}  {run.asset_events:>5}")
    medians = {}
    for job in sorted({r.job for r in runs}):
        mine = [r for r in runs if r.job == job]
        medians[job] = {
            p: round(statistics.median(r.seconds[p] for r in mine), 1)
            for p in PHASES
            if all(p in r.seconds for r in mine)
        }
        rollups = [r.rollup for r in mine if r.rollup is not None]
        if rollups:
            medians[job]["rollup"] = round(statistics.median(rollups), 1)
        shown = ", ".join(f"{p} {v:.1f}" for p, v in medians[job].items())
        print(f"  median of {len(mine)} {job} runs (s): {shown}")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="how many of the newest runs")
    args = parser.parse_args()
    home = StackSettings().state_path / "dagster"
    if not (home / "dagster.yaml").exists():
        parser.error(f"no Dagster instance at {home}: start `ollive up` (same OLLIVE_STATE_DIR)")
    runs = run_phases(home, args.runs)
    if not runs:
        print(f"no finished runs in {home}")
        return
    print_phases(runs)
    print(f"load_average_1m: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
