"""Ingest load: sustained events/s and ack latency (p50/p99), PII redaction on and off.

Load generators are separate processes (multiprocessing); each prepares its gzip NDJSON bodies
(unique event ids, log-like texts: numbers of many shapes, some PII, repeated log messages; the
`mix_*` figures say what share of strings hold what) before the clock starts, then keeps
`--inflight` requests open. The API runs as `python -m ingest_api` against a real
SeaweedFS: a 202 means the object PUT (durable) succeeded.

Besides throughput and latency it prints the CPU each side used per accepted event (the API
with its prepare workers, the store, the generators; from /proc, so other processes move these
figures less than the wall-clock ones) and the rate the API and store could sustain with every
core to themselves. The commit stage (the API process: HTTP, group commit, gzip, the PUT; and
the store) is read from the same CPU counters; the worker stages (parse, validate, redact,
encode) are split by `bench/ingest_prepare.py`.

`--baseline-tree DIR` (a `git worktree add DIR <commit>` checkout) adds the mode
`pii_on_baseline`: the same load against that tree's API, in the same run, and the ratios.

    uv run python bench/ingest_load.py [--seconds 20] [--procs 2] [--inflight 4] [--batch 500]
        [--modes pii_on,pii_off] [--baseline-tree /tmp/old]
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing as mp
import os
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.ingest_common import (
    ROOT,
    Stack,
    cpu_seconds,
    ingest_api,
    process_tree,
    report,
    seaweed,
)
from ollive_contract.events import FREE_TEXT_FIELDS

WORDS = (
    "the",
    "model",
    "answered",
    "question",
    "about",
    "weather",
    "travel",
    "refund",
    "policy",
    "account",
    "order",
    "invoice",
    "summary",
    "please",
    "explain",
    "plan",
    "step",
    "tool",
    "result",
    "cache",
    "user",
    "assistant",
    "error",
    "retry",
    "timeout",
    "Lisbon",
    "Paris",
    "Tokyo",
    "flight",
    "hotel",
    "booking",
    "support",
    "ticket",
    "update",
    "status",
    "details",
)
PII = [
    "jane.doe@example.com",
    "+1 415-555-2671",
    "4111 1111 1111 1111",
    "10.0.0.1",
    "DE89 3704 0044 0532 0130 00",
    "536-22-8471",
]


def _number(rng: random.Random) -> str:
    """A number as LLM text and logs hold them: counts, money, dates, times, versions, ids."""
    kind = rng.randrange(12)
    if kind == 0:
        return str(rng.randrange(1, 20))  # "3 items"
    if kind == 1:
        return f"${rng.randrange(1, 500)}.{rng.randrange(100):02d}"
    if kind == 2:
        return f"{rng.randrange(1, 100)}%"
    if kind == 3:
        return str(rng.choice((2023, 2024, 2025, 2026)))
    if kind == 4:
        return f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    if kind == 5:
        return f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"
    if kind == 6:
        return f"v{rng.randrange(4)}.{rng.randrange(20)}.{rng.randrange(10)}"
    if kind == 7:
        return f"{rng.randrange(1, 10)},{rng.randrange(1000):03d} tokens"
    if kind == 8:
        return f"{rng.randrange(20, 3000)}ms"
    if kind == 9:
        return f"#{rng.randrange(10_000, 100_000)}"  # order / ticket number
    if kind == 10:
        return f"ORD-2026-{rng.randrange(1_000_000):06d}"
    return str(uuid.UUID(int=rng.getrandbits(128)))  # trace / request ids


# what share of free-text strings hold a number (some several) and a PII value; see the docs
NUMBER_SHARE = 0.30
PII_SHARE = 0.05
# application logs repeat a few message templates verbatim (cache hits, as in real services)
REPEATED = [
    "request completed",
    "cache miss for user profile, fetching from store",
    "retrying upstream call after timeout",
    "model response streamed to client",
    "tool call finished without error",
]


def _text(rng: random.Random, words: int) -> str:
    parts = [rng.choice(WORDS) for _ in range(words)]
    roll = rng.random()
    if roll < PII_SHARE:
        parts.insert(rng.randrange(len(parts)), rng.choice(PII))
    elif roll < PII_SHARE + NUMBER_SHARE:
        for _ in range(1 + (rng.random() < 0.3)):
            parts.insert(rng.randrange(len(parts)), _number(rng))
    return " ".join(parts)


def _message(rng: random.Random) -> str:
    return rng.choice(REPEATED) if rng.random() < 0.5 else _text(rng, rng.randrange(5, 25))


def _event(rng: random.Random, n: int) -> dict:
    now = datetime.now(UTC).isoformat()
    base = {
        "event_id": str(uuid.uuid4()),
        "started_at": now,
        "service": "bench",
        "metadata": {"region": "eu-west-1", "attempt": n % 3},
    }
    kind = n % 5
    if kind < 2:
        return {
            **base,
            "log_type": "inference",
            "provider": "gcp.gemini",
            "model": "gemini-2.5-flash",
            "input_tokens": rng.randrange(2000),
            "output_tokens": rng.randrange(800),
            "latency_ms": rng.random() * 2000,
            "input_preview": _text(rng, rng.randrange(10, 60)),
            "output_preview": _text(rng, rng.randrange(20, 80)),
        }
    if kind == 2:
        return {
            **base,
            "log_type": "tool_execution",
            "tool_name": "get_weather",
            "latency_ms": rng.random() * 300,
            "arguments_preview": orjson.dumps(
                {"q": _text(rng, 5), "request_id": str(uuid.UUID(int=rng.getrandbits(128)))}
            ).decode(),
            "result_preview": _text(rng, rng.randrange(5, 30)),
        }
    return {
        **base,
        "log_type": "application",
        "level": "info",
        "logger": "app",
        "message": _message(rng),
    }


def mix_shares(seed: int = 1, events: int = 20_000) -> dict[str, tuple[float, str]]:
    """What the generated free-text strings hold, as the figures report it."""
    rng = random.Random(seed)
    texts = []
    for i in range(events):
        event = _event(rng, i)
        names = FREE_TEXT_FIELDS[event["log_type"]]
        texts += [event[n] for n in names if isinstance(event.get(n), str)]
        texts += [v for v in event["metadata"].values() if isinstance(v, str)]
    digits = sum(any(c.isdigit() for c in t) for t in texts)
    pii = sum(any(p in t for p in PII) for t in texts)
    return {
        "mix_strings_per_event": (len(texts) / events, "strings"),
        "mix_strings_with_digits": (100 * digits / len(texts), "%"),
        "mix_strings_with_pii": (100 * pii / len(texts), "%"),
        "mix_distinct_strings": (100 * len(set(texts)) / len(texts), "%"),
    }


def _bodies(seed: int, count: int, batch: int) -> list[bytes]:
    rng = random.Random(seed)
    return [
        gzip.compress(b"".join(orjson.dumps(_event(rng, i)) + b"\n" for i in range(batch)), 1)
        for _ in range(count)
    ]


def _worker(
    stack_url: str, key: str, seed: int, args: argparse.Namespace, go: mp.Barrier, out: mp.Queue
) -> None:
    needed = int(args.seconds * args.max_rate / args.batch / args.procs) + args.inflight
    bodies = _bodies(seed, needed, args.batch)
    go.wait()  # every generator has its bodies ready: start together, with idle CPUs
    start_at = time.time()
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/x-ndjson",
        "Content-Encoding": "gzip",
    }
    latencies: list[float] = []
    accepted = errors = 0
    lock = threading.Lock()
    it = iter(bodies)
    stop_at = start_at + args.seconds

    def loop() -> None:
        nonlocal accepted, errors
        with httpx.Client(timeout=30) as client:
            while time.time() < stop_at:
                with lock:
                    body = next(it, None)
                if body is None:
                    return
                t0 = time.perf_counter()
                resp = client.post(f"{stack_url}/v1/logs", content=body, headers=headers)
                dt = time.perf_counter() - t0
                with lock:
                    if resp.status_code == 202:
                        accepted += resp.json()["accepted"]
                        latencies.append(dt)
                    else:
                        errors += 1

    threads = [threading.Thread(target=loop) for _ in range(args.inflight)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((accepted, errors, latencies, time.time() - start_at))


def run(
    stack: Stack, store_pid: int, args: argparse.Namespace, label: str
) -> dict[str, tuple[float, str]]:
    out: mp.Queue = mp.Queue()
    go = mp.Barrier(args.procs + 1)
    procs = [
        mp.Process(target=_worker, args=(stack.url, stack.api_key, 1000 * i + 7, args, go, out))
        for i in range(args.procs)
    ]
    for p in procs:
        p.start()
    print(f"[{label}] generators preparing their bodies", flush=True)
    go.wait()
    groups = {
        "api_main": [stack.pid],  # event loop, group commit, gzip, S3 client
        "api_workers": process_tree(stack.pid)[1:],  # decode, validate, redact, serialise
        "store": process_tree(store_pid),
        "generators": [p.pid for p in procs if p.pid is not None],
    }
    cpu_before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    for s in range(int(args.seconds)):
        time.sleep(1)
        print(f"[{label}] {s + 1}/{int(args.seconds)}s", end="\r", flush=True)
    results = [out.get() for _ in procs]
    cpu = {name: cpu_seconds(pids) - cpu_before[name] for name, pids in groups.items()}
    for p in procs:
        p.join()
    accepted = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    lat = sorted(x for r in results for x in r[2])
    elapsed = max(r[3] for r in results)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [0.0] * 99
    print()
    per_event = {
        f"{label}_cpu_{name}": (1e6 * used / max(accepted, 1), "CPU-us/event")
        for name, used in cpu.items()
    }
    commit = cpu["api_main"] + cpu["store"]
    per_event[f"{label}_commit_stage"] = (accepted / commit if commit else 0.0, "events/CPU-s")
    # what the server side (API + store) could sustain if it had every core to itself
    server = (cpu["api_main"] + cpu["api_workers"] + cpu["store"]) / max(accepted, 1)
    return {
        f"{label}_events_per_s": (accepted / elapsed, "events/s"),
        **per_event,
        f"{label}_cores_busy": (sum(cpu.values()) / elapsed, "cores"),
        f"{label}_server_capacity_{os.cpu_count()}_cores": (
            os.cpu_count() / server if server else 0.0,
            "events/s",
        ),
        f"{label}_ack_p50": (q[49] * 1000, "ms"),
        f"{label}_ack_p95": (q[94] * 1000, "ms"),
        f"{label}_ack_p99": (q[98] * 1000, "ms"),
        f"{label}_requests": (len(lat), "requests"),
        f"{label}_errors": (errors, "requests"),
        f"{label}_load_average_1m": (os.getloadavg()[0], ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--inflight", type=int, default=4, help="open requests per process")
    parser.add_argument("--batch", type=int, default=500, help="events per request")
    parser.add_argument("--modes", default="pii_on,pii_off")
    parser.add_argument("--baseline-tree", type=Path, help="also run pii_on from this checkout")
    parser.add_argument(
        "--max-rate",
        type=float,
        default=30_000,
        help="events/s the prepared bodies can sustain (sizes the preparation)",
    )
    args = parser.parse_args()
    figures = mix_shares()
    modes = args.modes.split(",")
    if args.baseline_tree:
        modes.insert(modes.index("pii_on") + 1 if "pii_on" in modes else 0, "pii_on_baseline")
    with seaweed() as (creds, state, store_pid):
        for mode in modes:
            env = {"OLLIVE_INGEST_PII_ENABLED": "false" if mode == "pii_off" else "true"}
            tree = args.baseline_tree if mode.endswith("baseline") else ROOT
            with ingest_api(creds, state, tree, **env) as stack:
                figures |= run(stack, store_pid, args, mode)
    for a, b in (("pii_on", "pii_off"), ("pii_on", "pii_on_baseline")):
        if f"{a}_events_per_s" in figures and f"{b}_events_per_s" in figures:
            ratio = figures[f"{a}_events_per_s"][0] / figures[f"{b}_events_per_s"][0]
            figures[f"{a}_vs_{b}"] = (ratio, "x")
    report("ingest_load", figures, {"args": {k: str(v) for k, v in vars(args).items()}})


if __name__ == "__main__":
    main()
