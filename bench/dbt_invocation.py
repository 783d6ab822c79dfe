"""Benchmark: what dagster-dbt spends before dbt starts, stock `DbtCliResource` vs ours.

A `dbt_build` run is a fresh process, so each variant runs in its own fresh interpreter, as a
run worker would: `cli(["ls"])` then `wait()`, timed from the call, after the imports. The stock
resource first runs `dbt --version` in a subprocess and builds a dbt-core adapter (all macros);
`DbtBuildResource` skips both. Variants alternate round by round, so both see the same machine.
Prints each round and the medians; writes bench/results/dbt_invocation.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from load_common import report

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import sys, time
from dagster_dbt import DbtCliResource
from dagster_project.resources.build import dbt_executable
from dagster_project.resources.dbt import DbtBuildResource
from ollive_contract.settings.pipeline import PipelineSettings
cls = DbtCliResource if sys.argv[1] == "stock" else DbtBuildResource
dbt = cls(project_dir=str(PipelineSettings().dbt_project_dir), dbt_executable=dbt_executable())
started = time.perf_counter()
dbt.cli(["ls", "--quiet"]).wait()
print(time.perf_counter() - started)
"""
VARIANTS = ("stock", "ollive")


def timed(variant: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, variant],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for round_ in range(1, args.rounds + 1):
        for variant in VARIANTS if round_ % 2 else reversed(VARIANTS):
            seconds[variant].append(timed(variant))
        shown = ", ".join(f"{v} {seconds[v][-1]:.2f} s" for v in VARIANTS)
        print(f"  round {round_}/{args.rounds}: {shown}", flush=True)
    stock, ours = (statistics.median(seconds[v]) for v in VARIANTS)
    figures = {
        "stock_dbt_ls_s": round(stock, 2),
        "ollive_dbt_ls_s": round(ours, 2),
        "saved_per_invocation_s": round(stock - ours, 2),
        "ratio_stock_to_ollive": round(stock / ours, 2),
        "rounds": args.rounds,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    report("dbt_invocation", figures, {"_s": "s"})


if __name__ == "__main__":
    main()
