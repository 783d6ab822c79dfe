"""Admission cost per request of per-key quotas: off, in-memory buckets (one per replica), and
buckets shared by two replicas in a real PostgreSQL, leased in chunks (what runs) or taken with
one statement per admission (lease 0), in the same run, as ratios to in-memory.

Two replicas (two `SharedQuotas` on their own connections, in one event loop) take turns with a
key's requests at a fixed pace; each request runs the real `Admission.admit` (one request
token, the events check) and `Admission.charge_events`. Scenarios: a key within its quota, and
a key sending four times its quota (admitted events show whether the quota held across both).

    uv run python bench/quota_overhead.py [--seconds 2] [--rps 400] [--batch 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest_api.api.errors import RequestRefused
from ingest_api.api.quota import Admission
from ingest_api.api.rate_limit import KeyQuotas
from ingest_api.api.shared_quota import SharedQuotas
from ingest_api.keys.quota_rows import PostgresQuotaRows
from ingest_api.keys.store import hash_key
from ingest_api.metrics import IngestMetrics
from ollive.stack import postgres
from ollive.stack.ports import free_ports
from ollive.stack.supervisor import Supervisor
from ollive_contract.settings import IngestSettings, StackSettings

RESULTS = Path(__file__).with_name("results")
MODES = ("off", "memory", "shared_lease", "shared_per_admission")
LEASE_SECONDS = IngestSettings().quota_lease_seconds


@dataclass
class Replica:
    quotas: KeyQuotas
    shared: SharedQuotas | None
    metrics: IngestMetrics = field(default_factory=IngestMetrics)
    leases: int = 0  # statements sent to Postgres

    def count_leases(self) -> None:
        if self.shared is None:
            return
        rows, lease = self.shared.rows, self.shared.rows.lease

        def counted(request):  # type: ignore[no-untyped-def]
            self.leases += 1
            return lease(request)

        rows.lease = counted  # type: ignore[method-assign]


@dataclass
class Sample:
    admit_us: list[float] = field(default_factory=list)
    charge_us: list[float] = field(default_factory=list)  # charge_events, awaited
    admitted_events: int = 0
    refused: int = 0
    leases: int = 0
    store_errors: int = 0
    seconds: float = 0.0  # as run: a mode slower than the pace runs longer, and refills more


def replicas(mode: str, rate: float, burst: float, url: str) -> list[Replica]:
    on = mode != "off"
    settings = IngestSettings(
        quota_events_per_second=rate if on else 0,
        quota_events_burst=burst,
        quota_requests_per_second=rate if on else 0,  # never the limit: events are
        quota_requests_burst=burst,
        quota_lease_seconds=0 if mode == "shared_per_admission" else LEASE_SECONDS,
    )
    made = []
    for _ in range(2):
        quotas = KeyQuotas.from_settings(settings)
        shared = None
        if mode.startswith("shared"):
            rows = PostgresQuotaRows(url, int(settings.quota_store_timeout_ms))
            timeout_s = settings.quota_store_timeout_ms / 1000
            shared = SharedQuotas(quotas, rows, settings.quota_lease_seconds, timeout_s)
            if not rows.wait_ready(10):  # a replica connects well before its first request
                raise SystemExit("the bench's PostgreSQL did not answer")
        replica = Replica(quotas, shared)
        replica.count_leases()
        made.append(replica)
    return made


async def run(replicas: list[Replica], key: str, seconds: float, rps: float, batch: int) -> Sample:
    sample, digest = Sample(), hash_key(key)
    clock = time.perf_counter
    started = clock()
    for i in range(int(seconds * rps)):
        await asyncio.sleep(max(0.0, started + i / rps - clock()))
        replica = replicas[i % 2]
        admission = Admission(
            "bench", "logs", None, replica.quotas, replica.metrics, replica.shared, digest
        )
        t0 = clock()
        try:
            await admission.admit()
        except RequestRefused:
            sample.refused += 1
            sample.admit_us.append((clock() - t0) * 1e6)
            continue
        t1 = clock()
        wait = await admission.charge_events(batch)
        t2 = clock()
        sample.admit_us.append((t2 - t0) * 1e6)
        sample.charge_us.append((t2 - t1) * 1e6)
        if wait is None:
            sample.admitted_events += batch
        else:
            sample.refused += 1
    sample.seconds = clock() - started
    sample.leases = sum(r.leases for r in replicas)
    sample.store_errors = int(sum(r.metrics.quota_store_errors._value.get() for r in replicas))
    for r in replicas:
        if r.shared is not None:
            r.shared.close()
    return sample


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


async def scenario(name: str, rate: float, url: str, args: argparse.Namespace) -> dict:
    burst = rate / 2
    samples = {mode: Sample() for mode in MODES}
    for round_ in range(args.rounds):  # modes interleaved, so load drift hits each alike
        for mode in MODES:
            key = f"olk_bench_{name}_{mode}_{round_}_{os.getpid()}"
            got = await run(
                replicas(mode, rate, burst, url), key, args.seconds, args.rps, args.batch
            )
            s = samples[mode]
            s.admit_us += got.admit_us
            s.charge_us += got.charge_us
            s.admitted_events += got.admitted_events
            s.refused += got.refused
            s.leases += got.leases
            s.store_errors += got.store_errors
            s.seconds += got.seconds
            print(f"  {name} round {round_ + 1}/{args.rounds} {mode} done", file=sys.stderr)
    requests = int(args.seconds * args.rps) * args.rounds
    memory_mean = statistics.fmean(samples["memory"].admit_us)
    figures: dict[str, float] = {"requests": requests}
    for mode, s in samples.items():
        quota = burst * args.rounds + rate * s.seconds  # what one bucket admits over the run
        figures |= {
            f"{mode}_seconds": s.seconds,
            f"{mode}_mean_us": statistics.fmean(s.admit_us),
            f"{mode}_p99_us": pct(s.admit_us, 0.99),
            f"{mode}_charge_p99_us": pct(s.charge_us, 0.99),
            f"{mode}_mean_vs_memory": statistics.fmean(s.admit_us) / memory_mean,
            f"{mode}_statements_per_request": s.leases / requests,
            f"{mode}_admitted_events": s.admitted_events,
            f"{mode}_admitted_vs_quota": s.admitted_events / quota,
            f"{mode}_refused_requests": s.refused,
            f"{mode}_store_errors": s.store_errors,
        }
    return figures


def start_postgres(state_dir: Path) -> tuple[Supervisor, str]:
    [port] = free_ports(1)
    settings = StackSettings(state_dir=state_dir, profile="postgres", postgres_port=port)
    supervisor = Supervisor(settings.state_path, settings.host)
    supervisor.up([postgres.spec(settings)], report=lambda line: print(line, file=sys.stderr))
    return supervisor, postgres.server(settings).url(postgres.KEYS_DB)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per mode and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rps", type=float, default=400.0, help="requests/s, both replicas")
    parser.add_argument("--batch", type=int, default=20, help="events per request")
    args = parser.parse_args()

    offered = args.rps * args.batch
    with tempfile.TemporaryDirectory(prefix="quota_bench_") as tmp:
        supervisor, url = start_postgres(Path(tmp))
        try:
            results = {
                "within": asyncio.run(scenario("within", 2 * offered, url, args)),
                "over": asyncio.run(scenario("over", offered / 4, url, args)),
            }
        finally:
            supervisor.down(report=lambda line: print(line, file=sys.stderr))
    load = os.getloadavg()
    print(f"offered: {args.rps:.0f} requests/s of {args.batch} events through 2 replicas")
    for name, figures in results.items():
        print(f"[{name}: key rate {'2x' if name == 'within' else '1/4x'} the offered events]")
        for mode in MODES:
            f = figures
            print(
                f"  {mode:22s} mean {f[f'{mode}_mean_us']:7.1f} us"
                f" ({f[f'{mode}_mean_vs_memory']:5.2f} x memory)"
                f"  p99 {f[f'{mode}_p99_us']:7.1f} us"
                f"  events charge p99 {f[f'{mode}_charge_p99_us']:6.1f} us"
                f"  statements/request {f[f'{mode}_statements_per_request']:.3f}"
                f"  admitted {f[f'{mode}_admitted_vs_quota']:.2f} x quota"
                f"  refused {f[f'{mode}_refused_requests']:.0f}"
                f"  store errors {f[f'{mode}_store_errors']:.0f}"
            )
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
    RESULTS.mkdir(exist_ok=True)
    result = {"unit": "us", "args": vars(args), "load_average": load, **results}
    (RESULTS / "quota_overhead.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
