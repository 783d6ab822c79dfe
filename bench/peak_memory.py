"""Peak resident memory of process trees while a step runs, read from /proc.

Not a benchmark itself (`make bench` skips it). A sampler thread sums the RSS of each named
group's processes (the roots given and all their descendants, found anew at every sample, so
processes a step starts are counted) every `interval_s`; a step's figures are each group's
highest sum and the highest sum over all groups together. Each process's own high-water mark
(`VmHWM`, reset at the start through `/proc/<pid>/clear_refs` where allowed) is kept too, which
catches peaks shorter than the interval for long-lived servers.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from process_sampling import group_members, sampling

PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


def _rss(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    return 0


def _hwm(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError, StopIteration):
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        return int(next(x for x in status if x.startswith("VmHWM:")).split()[1]) * 1024
    return 0


def _reset_hwm(pid: int) -> None:
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


@contextlib.contextmanager
def peak_rss(
    groups: Callable[[], dict[str, list[int]]], interval_s: float = 0.5
) -> Iterator[dict[str, float]]:
    """Sample the groups `groups()` names (name → root pids, asked at every sample; a process
    under two groups' roots counts in the first) while the block runs. The yielded dict is
    filled at exit with `<group>_peak_rss_mib`, `<group>_hwm_mib` (the sum of its processes'
    own high-water marks) and `total_peak_rss_mib`."""
    figures: dict[str, float] = {}
    peaks: dict[str, int] = {}
    hwm: dict[int, int] = {}  # pid → its high-water mark, last read
    member: dict[int, str] = {}
    reset: set[int] = set()

    def sample() -> None:
        named = groups()
        sums = dict.fromkeys(named, 0)
        for pid, name in group_members(named).items():
            if pid not in reset:
                _reset_hwm(pid)
                reset.add(pid)
            sums[name] += _rss(pid)
            hwm[pid] = max(hwm.get(pid, 0), _hwm(pid))
            member[pid] = name
        for name, value in sums.items():
            peaks[name] = max(peaks.get(name, 0), value)
        peaks["total"] = max(peaks.get("total", 0), sum(sums.values()))

    try:
        with sampling(sample, interval_s):
            yield figures
    finally:
        for name, value in peaks.items():
            figures[f"{name}_peak_rss_mib"] = round(value / MIB, 1)
        for name in {*member.values()}:
            total = sum(v for pid, v in hwm.items() if member[pid] == name)
            figures[f"{name}_hwm_mib"] = round(total / MIB, 1)
