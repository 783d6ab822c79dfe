"""The embedded engine's memory cap (`--memory-ratio`, `OLLIVE_STACK_CLICKHOUSE_MEMORY_RATIO`):
the engine takes it as its server limit, and an aggregation that needs more memory than the
cap allows spills to disk and finishes instead of failing."""

from __future__ import annotations

import os

import pytest

from tests.fixtures.clickhouse import ClickHouseServer, _free_port

RATIO = 0.03  # about 0.7 GiB on a 24 GiB machine


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory: pytest.TempPathFactory):
    server = ClickHouseServer(
        path=tmp_path_factory.mktemp("capped") / "data",
        port=_free_port(),
        extra_args=("--memory-ratio", str(RATIO)),
    )
    server.start()
    yield server
    server.stop()


def test_the_engine_takes_the_ratio_as_its_limit(capped_server):
    client = capped_server.client()
    limit = int(
        client.command(
            "SELECT value FROM system.server_settings WHERE name = 'max_server_memory_usage'"
        )
    )
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert limit == pytest.approx(RATIO * ram, rel=0.02)


def test_a_group_by_larger_than_the_cap_spills_and_finishes(capped_server):
    client = capped_server.client()
    limit = int(
        client.command(
            "SELECT value FROM system.server_settings WHERE name = 'max_server_memory_usage'"
        )
    )
    # 8M groups of two numbers each: well over the cap if held in memory at once
    keys = 8_000_000
    result = client.query(
        "SELECT count(), sum(length(values)) FROM ("
        f" SELECT number % {keys} AS k, groupArray(number) AS values"
        f" FROM numbers({2 * keys}) GROUP BY k)",
        settings={"query_id": "memory-cap-group-by"},
    )
    assert result.result_rows == [(keys, 2 * keys)]
    client.command("SYSTEM FLUSH LOGS")
    ((memory, spilled),) = client.query(
        "SELECT memory_usage, ProfileEvents['ExternalAggregationWritePart']"
        " FROM system.query_log WHERE query_id = 'memory-cap-group-by' AND type = 'QueryFinish'"
    ).result_rows
    assert spilled > 0
    assert memory < limit


def test_a_ratio_out_of_range_is_refused(tmp_path):
    server = ClickHouseServer(
        path=tmp_path / "data", port=_free_port(), extra_args=("--memory-ratio", "0.95")
    )
    with pytest.raises(RuntimeError, match="exited with 2"):
        server.start()
    assert "--memory-ratio must be above 0 and at most 0.9" in server.log_text()
