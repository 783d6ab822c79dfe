"""Shared by the ingest benchmarks: a throwaway SeaweedFS + ingest API, result output."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from ollive.stack.ports import free_port, free_ports
from ollive.stack.process import launch
from ollive.stack.seaweedfs import S3Credentials, SeaweedPorts, seaweed_spec
from ollive_contract.settings import IngestSettings, ObjectStoreSettings, env_name

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


@dataclass
class Stack:
    url: str
    api_key: str
    creds: S3Credentials
    state: Path
    pid: int  # the API's main process; its prepare workers are its children


@contextlib.contextmanager
def seaweed() -> Iterator[tuple[S3Credentials, Path, int]]:
    state = Path(tempfile.mkdtemp(prefix="ollive-bench-"))
    s3, master, volume, filer = free_ports(4)
    creds = S3Credentials(f"http://127.0.0.1:{s3}", "bench", "bench-secret", "ollive-bench")
    service = launch(
        seaweed_spec(state, "127.0.0.1", SeaweedPorts(s3, master, volume, filer), creds),
        state / "seaweedfs.log",
    )
    try:
        yield creds, state, service.pid
    finally:
        service.stop()


@contextlib.contextmanager
def ingest_api(creds: S3Credentials, state: Path, tree: Path = ROOT, **env: str) -> Iterator[Stack]:
    """`python -m ingest_api` from `tree` (this checkout, or a baseline's `git worktree`)."""
    port, key = free_port(), "olk_bench_" + secrets.token_urlsafe(16)
    run_dir = Path(tempfile.mkdtemp(dir=state, prefix="ingest-"))
    ingest = {
        "host": "127.0.0.1",
        "port": port,
        "demo_api_key": key,
        "spool_dir": run_dir / "spool",
        "keys_db": run_dir / "keys.sqlite",
    }
    s3 = {
        "endpoint": creds.endpoint,
        "access_key": creds.access_key,
        "secret_key": creds.secret_key,
        "bucket": creds.bucket,
    }
    full_env = {
        **os.environ,
        **{env_name(IngestSettings, field): str(value) for field, value in ingest.items()},
        **{env_name(ObjectStoreSettings, field): value for field, value in s3.items()},
        **env,
    }
    if tree != ROOT:
        full_env["PYTHONPATH"] = str(tree)
    log = (run_dir / "api.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest_api"], env=full_env, cwd=tree, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            time.sleep(0.1)
        yield Stack(url, key, creds, run_dir, proc.pid)
    finally:
        proc.terminate()
        proc.wait(60)
        log.close()


def report(name: str, figures: dict[str, tuple[float, str]], extra: dict | None = None) -> Path:
    """Print `name: value unit` lines and write the same as JSON under bench/results/."""
    for key, (value, unit) in figures.items():
        print(f"{key}: {value:.6g} {unit}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    doc = {
        "benchmark": name,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "figures": {k: {"value": v, "unit": u} for k, (v, u) in figures.items()},
        **(extra or {}),
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


_TICK = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """`pid` and its live descendants (from /proc; Linux only)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
    return found


def cpu_seconds(pids: list[int], *, reaped_children: bool = False) -> float:
    """User + system CPU seconds the processes have used so far (all their threads), plus,
    with `reaped_children`, that of the children they have waited for (merge threads do not
    count there; short-lived helper processes do)."""
    last = 15 if reaped_children else 13  # utime stime [cutime cstime]
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:last])
    return total / _TICK
