"""Benchmark of the DELETE of delete+insert on a fact-shaped table: the classic lightweight
DELETE (a mutation that rewrites the row mask of every part holding a key) against a DELETE as
a patch part (`lightweight_delete_mode = 'lightweight_update'`, what the marts use; see
dbt_project/macros/patch_deletes.sql), and what the patch costs readers until it is
materialized.

For each size (default 1M, 10M, 100M rows; `--sizes`) it starts a private embedded ClickHouse,
writes two tables of `fct_inferences`' order, partitioning and event-time index, one with the
block-number settings a patch needs, history at 1M rows a day with UUIDv7 ids of the event time,
merged (`OPTIMIZE FINAL`), as a fact's old history is. Then, `--rounds` times on each table:
stage a batch of `--batch` ids of which 1% are held in the fact (a stretch of old events, a
replayed object) and the rest new, time the DELETE of the batch's ids, insert the batch.

Readers: the best of three full scans (`sum`, `count`) of each table after the rounds, of the
patch table with and without its patches applied (`apply_patch_parts = 0`), then again after
`ALTER TABLE … APPLY PATCHES`, which is what the marts' post-hook starts once patches are old.

Prints `name: value unit` lines; writes bench/results/fact_deletes.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dbt_harness import Server, progress  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "fact_deletes.json"
EVENTS_PER_DAY = 1_000_000
NEWEST = "2026-11-30 00:00:00"
PATCH_SETTINGS = "SETTINGS enable_block_number_column = 1, enable_block_offset_column = 1"


def create(server: Server, table: str, size: int, settings: str) -> None:
    """A fact-shaped table of `size` rows, history at EVENTS_PER_DAY up to NEWEST, merged."""
    server.client.command(f"DROP TABLE IF EXISTS {table}")
    server.client.command(f"""
        CREATE TABLE {table} (
            event_id UUID, started_at DateTime64(3), loaded_at DateTime64(3),
            latency_ms Float64, payload String,
            INDEX event_time_minmax UUIDv7ToDateTime(event_id) TYPE minmax GRANULARITY 1)
        ENGINE = MergeTree ORDER BY (started_at, event_id)
        PARTITION BY toYYYYMM(started_at) {settings}""")
    step = max(size // 10, 1)
    for first in range(0, size, step):
        server.client.command(
            f"""INSERT INTO {table}
            SELECT dateTimeToUUIDv7(toDateTime(ts)), ts, ts, rand() % 1000, repeat('x', 50)
            FROM (SELECT toDateTime64('{NEWEST}', 3)
                         - toIntervalMillisecond(intDiv(number * 86400000, {EVENTS_PER_DAY})) AS ts
                  FROM numbers({first}, {min(step, size - first)}))""",
            settings={"max_partitions_per_insert_block": 0},
        )
    server.client.command(f"OPTIMIZE TABLE {table} FINAL")


def stage_batch(server: Server, table: str, batch: int, days_back: float) -> None:
    """The batch: 1% ids the fact holds (a stretch of events `days_back` days old), 99% new."""
    held = max(batch // 100, 1)
    server.client.command("DROP TABLE IF EXISTS batch")
    server.client.command(f"""
        CREATE TABLE batch ENGINE = Memory AS
        SELECT * FROM {table}
        WHERE started_at >= toDateTime64('{NEWEST}', 3) - toIntervalSecond({int(days_back * 86400)})
        ORDER BY started_at LIMIT {held}""")
    server.client.command(
        f"INSERT INTO batch SELECT generateUUIDv7(), now64(3), now64(3), 1, 'y' "
        f"FROM numbers({batch - held})"
    )


def best_scan(server: Server, table: str, **settings: object) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        server.client.query(f"SELECT sum(latency_ms), count() FROM {table}", settings=settings)
        best = min(best, time.perf_counter() - started)
    return best


def measure(size: int, rounds: int, batch: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="fact-deletes-") as tmp:
        server = Server(Path(tmp) / "data")
        try:
            progress(f"{size:,} rows: writing both tables")
            create(server, "classic", size, "")
            create(server, "patched", size, PATCH_SETTINGS)
            history_days = size / EVENTS_PER_DAY
            times: dict[str, list[float]] = {"classic": [], "patched": []}
            for n in range(rounds):
                days_back = history_days * (n + 1) / (rounds + 1)  # spread over history
                for table, mode in (("classic", None), ("patched", "lightweight_update_force")):
                    stage_batch(server, table, batch, days_back)
                    settings = {"lightweight_delete_mode": mode} if mode else {}
                    started = time.perf_counter()
                    server.client.command(
                        f"DELETE FROM {table} WHERE event_id IN (SELECT event_id FROM batch)",
                        settings=settings,
                    )
                    times[table].append(time.perf_counter() - started)
                    server.client.command(f"INSERT INTO {table} SELECT * FROM batch")
                progress(
                    f"{size:,} rows: round {n + 1}/{rounds}: DELETE classic "
                    f"{times['classic'][-1]:.3f} s, as a patch {times['patched'][-1]:.3f} s"
                )
            figures = {
                "delete_classic_median_s": statistics.median(times["classic"]),
                "delete_patch_median_s": statistics.median(times["patched"]),
                "scan_classic_s": best_scan(server, "classic"),
                "scan_patched_s": best_scan(server, "patched"),
                "scan_patched_without_patches_s": best_scan(server, "patched", apply_patch_parts=0),
            }
            started = time.perf_counter()
            server.client.command(
                "ALTER TABLE patched APPLY PATCHES", settings={"mutations_sync": 2}
            )
            figures["apply_patches_s"] = time.perf_counter() - started
            figures["scan_patched_after_apply_s"] = best_scan(server, "patched")
            return figures
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000,100000000", help="comma-separated")
    parser.add_argument("--rounds", type=int, default=5, help="DELETE + INSERT rounds per table")
    parser.add_argument("--batch", type=int, default=60_000, help="ids per batch")
    args = parser.parse_args()
    results = {}
    for size in (int(s) for s in args.sizes.split(",")):
        figures = measure(size, args.rounds, args.batch)
        results[str(size)] = figures
        for name, value in figures.items():
            print(f"{name}[{size}]: {value:.3f} s")
        print(
            f"delete_patch_vs_classic[{size}]: "
            f"{figures['delete_patch_median_s'] / figures['delete_classic_median_s']:.2f} x"
        )
        print(
            f"scan_patched_vs_classic[{size}]: "
            f"{figures['scan_patched_s'] / figures['scan_classic_s']:.2f} x"
        )
    sizes = sorted(results, key=int)
    if len(sizes) > 1:
        for kind in ("classic", "patch"):
            key = f"delete_{kind}_median_s"
            growth = results[sizes[-1]][key] / results[sizes[0]][key]
            print(f"delete_{kind}_growth[{sizes[0]}->{sizes[-1]}]: {growth:.2f} x")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
