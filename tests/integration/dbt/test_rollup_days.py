"""A rollup holds every day a load touched: a backfill of a past day and today, loaded at once
(two day partitions swapped in one run), then a load of today only (one partition swapped, the
other day left as it was), leave the rollup's per-day totals equal to the fact's for both days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fixtures.clickhouse import ClickHouseServer
from tests.integration.dbt.test_incremental_swap import BUILD, dbt, inference, load, server

__all__ = ["server"]  # the fixture, shared with the swap test

MIDNIGHT = datetime(2026, 11, 30, tzinfo=UTC)
PER_DAY = """
SELECT toString(toDate(bucket_start)), sum(requests) FROM ollive.agg_inference_5m GROUP BY 1"""
FACT_PER_DAY = """
SELECT toString(toDate(started_at)), count() FROM ollive.fct_inferences GROUP BY 1"""


def _history(first: int, count: int, start: datetime, step: timedelta) -> list[dict]:
    received = datetime.now(UTC)
    return [inference(first + n, start + n * step, received) for n in range(count)]


def test_a_backfill_spanning_two_days_lands_in_both(
    server: ClickHouseServer, tmp_path: Path
) -> None:
    """Like `ollive demo`: a day of simulated history (yesterday evening and today's small
    hours) in one load, then live traffic of today."""
    yesterday = _history(0, 30, MIDNIGHT - timedelta(hours=5), timedelta(minutes=10))
    today = _history(100, 12, MIDNIGHT + timedelta(minutes=3), timedelta(minutes=10))
    load(server, yesterday + today)
    dbt(server, tmp_path, *BUILD)
    client = server.client()
    expected = {"2026-11-29": 30, "2026-11-30": 12}
    assert dict(client.query(FACT_PER_DAY).result_rows) == expected
    assert dict(client.query(PER_DAY).result_rows) == expected

    load(server, _history(200, 5, MIDNIGHT + timedelta(hours=2), timedelta(minutes=7)))
    dbt(server, tmp_path, *BUILD)
    expected = {"2026-11-29": 30, "2026-11-30": 17}
    assert dict(client.query(FACT_PER_DAY).result_rows) == expected
    assert dict(client.query(PER_DAY).result_rows) == expected


def test_one_load_spanning_more_than_a_hundred_days_builds(
    server: ClickHouseServer, tmp_path: Path
) -> None:
    """Events stamped far apart in one load (a skewed producer clock, a long backfill) touch
    more day partitions than ClickHouse's default per-INSERT cap of 100; the build must not
    fail on them, and each day counts its events."""
    days = 130
    spread = _history(1000, days, MIDNIGHT - timedelta(days=400), timedelta(days=1, minutes=7))
    load(server, spread)
    dbt(server, tmp_path, *BUILD)
    client = server.client()
    [(spread_days, spread_events)] = client.query(
        "SELECT uniqExact(toDate(bucket_start)), sum(requests) FROM ollive.agg_inference_5m "
        "WHERE bucket_start < {cutoff:DateTime}",
        parameters={"cutoff": (MIDNIGHT - timedelta(days=100)).replace(tzinfo=None)},
    ).result_rows
    assert (spread_days, spread_events) == (days, days)
