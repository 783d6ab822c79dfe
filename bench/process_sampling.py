"""What the samplers of process trees share (`peak_memory.py`, `cpu_share.py`): the process tree
read from /proc, each named group's processes, and a thread that samples while a step runs.

Not a benchmark itself (`make bench` skips it).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path


def _children() -> dict[int, list[int]]:
    """Parent pid → child pids, for every process."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(roots: list[int], tree: dict[int, list[int]] | None = None) -> set[int]:
    """`roots` and every process below them (in `tree`, read from /proc if not given)."""
    tree, found, todo = tree or _children(), set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += tree.get(pid, [])
    return found


def group_members(groups: dict[str, list[int]]) -> dict[int, str]:
    """Each process under the groups' roots (name → root pids) → its group: the first group it
    is under, so a process under two groups' roots counts once."""
    tree, member = _children(), {}
    for name, roots in groups.items():
        for pid in descendants(roots, tree):
            member.setdefault(pid, name)
    return member


@contextlib.contextmanager
def sampling(sample: Callable[[], None], interval_s: float) -> Iterator[None]:
    """`sample()` when the block starts, every `interval_s` while it runs, and once more at its
    end (after the thread has stopped, so the last sample sees the step's end)."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(interval_s):
            sample()

    sample()
    thread = threading.Thread(target=run, name="process-sampling", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        sample()
