"""CPU seconds of process trees while a step runs, read from /proc: where a machine's cores went.

Not a benchmark itself (`make bench` skips it). A sampler thread reads the user + system time of
every process under each named group's roots (found anew at every sample, so the runs and dbt
processes a step starts are counted) every `interval_s`, and keeps each process's growth over
the step: from zero for one started during it (its start time, against /proc/uptime), from its
first sample for one already running. A process's reaped children are not read from its
`cutime`: the Dagster run worker lets the kernel reap its forks (their time would never reach
it), and a run's own dbt child would be counted twice. What a process uses in its last interval
before it exits is missed, and so is a process shorter than one interval; the machine's total
(`/proc/stat`) is read too, and `other` is the rest.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from process_sampling import group_members, sampling

TICK = os.sysconf("SC_CLK_TCK")


def _times(pid: int) -> tuple[int, int] | None:
    """(start time, user + system ticks) of `pid`: the start time tells a reused pid apart."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19]), int(fields[11]) + int(fields[12])
    return None


def _uptime_ticks() -> int:
    """Now, in the clock of a process's start time (ticks since boot)."""
    return int(float(Path("/proc/uptime").read_text().split()[0]) * TICK)


def _machine_ticks() -> int:
    """Busy ticks of all cores: user, nice, system, irq, softirq, steal (not idle, iowait)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return sum(int(fields[i]) for i in (0, 1, 2, 5, 6, 7))


@contextlib.contextmanager
def cpu_share(
    groups: Callable[[], dict[str, list[int]]], interval_s: float = 0.5
) -> Iterator[dict[str, float]]:
    """Sample the groups `groups()` names (name → root pids; a process under two groups' roots
    counts in the first) while the block runs. The yielded dict is filled at exit with
    `<group>_cpu_s`, `other_cpu_s`, `machine_cpu_s`, `wall_s` and `cores`."""
    figures: dict[str, float] = {}
    first: dict[tuple[int, int], int] = {}  # (pid, start) → its ticks when first seen
    last: dict[tuple[int, int], int] = {}
    member: dict[tuple[int, int], str] = {}
    names: dict[str, None] = {}  # the groups in the order first named

    def sample() -> None:
        named = groups()
        names.update(dict.fromkeys(named))
        for pid, name in group_members(named).items():
            times = _times(pid)
            if times is not None:
                key = (pid, times[0])
                first.setdefault(key, times[1])
                last[key] = times[1]
                member[key] = name

    machine_before, wall_before, window_start = _machine_ticks(), time.monotonic(), _uptime_ticks()
    try:
        with sampling(sample, interval_s):
            yield figures
    finally:
        machine = (_machine_ticks() - machine_before) / TICK
        wall = time.monotonic() - wall_before
        totals = dict.fromkeys(names, 0.0)
        for key, ticks in last.items():
            # a process started inside the window counts from zero, one already running from
            # its first sample
            used = ticks - (0 if key[1] >= window_start else first[key])
            totals[member[key]] += used / TICK
        for name, seconds in totals.items():
            figures[f"{name}_cpu_s"] = round(seconds, 1)
        figures["other_cpu_s"] = round(max(0.0, machine - sum(totals.values())), 1)
        figures["machine_cpu_s"] = round(machine, 1)
        figures["wall_s"] = round(wall, 1)
        figures["cores"] = os.cpu_count() or 1


def print_shares(figures: dict[str, float]) -> None:
    """Each group's CPU as cores busy on average and as a share of the machine."""
    wall, cores = figures["wall_s"], figures["cores"]
    for key, seconds in figures.items():
        if key.endswith("_cpu_s") and key != "machine_cpu_s":
            busy = seconds / wall
            print(f"  {key[:-6]:<22} {seconds:8.1f} CPU-s  {busy:4.2f} cores  "
                  f"{100 * busy / cores:5.1f} % of the machine")  # fmt: skip
    machine = figures["machine_cpu_s"] / wall
    print(f"  {'machine':<22} {figures['machine_cpu_s']:8.1f} CPU-s  {machine:4.2f} cores  "
          f"{100 * machine / cores:5.1f} % busy")  # fmt: skip
