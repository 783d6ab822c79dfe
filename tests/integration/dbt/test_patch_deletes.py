"""The facts' delete+insert on the real engine: the DELETE of a later copy's old row is a patch
part, not a mutation over the fact's parts; patches are materialized once they are old enough;
a fact made before the block-number settings gains them (macros/patch_deletes.sql)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from ollive_contract.tables import staging_table
from tests.fixtures.clickhouse import ClickHouseServer, start_staged_clickhouse_server
from tests.fixtures.dbt_cli import run_dbt as dbt

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
BUILD = ("build", "-s", "+fct_inferences", "--exclude-resource-type", "test", "unit_test")
SETTINGS = ("enable_block_number_column = 1", "enable_block_offset_column = 1")


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[ClickHouseServer]:
    """A private server per test: the staging database name is fixed."""
    ch = start_staged_clickhouse_server(tmp_path / "data")
    yield ch
    ch.stop()


def inference(n: int, received: datetime, status: str = "ok") -> dict:
    stamp = "%Y-%m-%d %H:%M:%S.%f"
    return {
        "event_id": f"01940000-0000-7000-8000-{n:012x}",
        "project_id": "proj-a",
        "service": "chat-api",
        "started_at": (T0 + timedelta(seconds=n)).strftime(stamp)[:-3],
        "received_at": received.strftime(stamp)[:-3],
        "schema_version": 1,
        "_object_key": f"raw/test/{received:%H%M%S}.ndjson.gz",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "status": status,
        "latency_ms": 100.0,
    }


def load(server: ClickHouseServer, rows: list[dict]) -> None:
    body = b"\n".join(orjson.dumps(row) for row in rows)
    server.client().raw_insert(staging_table("inference"), insert_block=body, fmt="JSONEachRow")


def query(server: ClickHouseServer, sql: str, **settings: object) -> list[tuple]:
    return server.client().query(sql, settings=settings).result_rows


def engine_full(server: ClickHouseServer) -> str:
    return query(
        server,
        "SELECT engine_full FROM system.tables WHERE database = 'ollive' "
        "AND name = 'fct_inferences'",
    )[0][0]


def patch_parts(server: ClickHouseServer) -> int:
    return query(
        server,
        "SELECT count() FROM system.parts WHERE database = 'ollive' AND table = 'fct_inferences' "
        "AND active AND startsWith(name, 'patch-')",
    )[0][0]


def statuses(server: ClickHouseServer, **settings: object) -> list[tuple]:
    return query(
        server,
        "SELECT toString(event_id), status FROM ollive.fct_inferences ORDER BY event_id",
        **settings,
    )


def test_a_later_copy_replaces_its_row_through_a_patch_part(
    server: ClickHouseServer, tmp_path: Path
) -> None:
    """Event 1's retry (a later receipt, now an error) replaces its row: the old row is masked
    by a patch part, no DELETE mutation runs, and the next build past the patch age
    materializes it, so a read that ignores patches sees the same rows."""
    load(server, [inference(n, T0) for n in range(1, 4)])
    dbt(server, tmp_path, *BUILD)
    assert all(setting in engine_full(server) for setting in SETTINGS)
    assert patch_parts(server) == 0

    load(server, [inference(1, T0 + timedelta(minutes=1), status="error"), inference(4, T0)])
    dbt(server, tmp_path, *BUILD, "--vars", "{patch_apply_after_minutes: 600}")
    ids = [f"01940000-0000-7000-8000-{n:012x}" for n in range(1, 5)]
    after = list(zip(ids, ["error", "ok", "ok", "ok"], strict=True))
    assert statuses(server) == after
    assert patch_parts(server) == 1
    assert query(
        server,
        "SELECT count() FROM system.mutations WHERE database = 'ollive' "
        "AND table = 'fct_inferences'",
    ) == [(0,)], "the DELETE ran as a mutation"
    # the patch is what hides the old copy: reading without patches shows it again
    assert len(statuses(server, apply_patch_parts=0)) == 5

    dbt(server, tmp_path, *BUILD, "--vars", "{patch_apply_after_minutes: 0}")
    deadline = time.monotonic() + 60
    while query(
        server,
        "SELECT count() FROM system.mutations WHERE database = 'ollive' "
        "AND table = 'fct_inferences' AND is_done",
    ) != [(1,)]:
        assert time.monotonic() < deadline, "APPLY PATCHES did not finish"
        time.sleep(0.5)
    assert statuses(server, apply_patch_parts=0) == statuses(server) == after


def test_a_fact_made_without_the_settings_gains_them(
    server: ClickHouseServer, tmp_path: Path
) -> None:
    """A fact created before the settings were configured is given them by the next build's
    hook, after which a later copy's DELETE is a patch part."""
    load(server, [inference(n, T0) for n in range(1, 3)])
    dbt(server, tmp_path, *BUILD)
    server.client().command(
        "ALTER TABLE ollive.fct_inferences "
        "RESET SETTING enable_block_number_column, enable_block_offset_column"
    )
    assert not any(setting in engine_full(server) for setting in SETTINGS)

    dbt(server, tmp_path, *BUILD)
    assert all(setting in engine_full(server) for setting in SETTINGS)

    load(server, [inference(2, T0 + timedelta(minutes=1), status="error")])
    dbt(server, tmp_path, *BUILD, "--vars", "{patch_apply_after_minutes: 600}")
    assert [status for _, status in statuses(server)] == ["ok", "error"]
    assert patch_parts(server) == 1


def test_a_model_whose_columns_changed_fails_until_a_full_refresh(
    server: ClickHouseServer, tmp_path: Path
) -> None:
    """The marts' schema guard (macros/schema_change_guard.sql, in place of dbt-clickhouse's
    `on_schema_change: fail`): a table missing a model column and holding one the model lacks
    stops the incremental run with both named; a full refresh rebuilds it to the model."""
    load(server, [inference(n, T0) for n in range(1, 3)])
    dbt(server, tmp_path, *BUILD)
    server.client().command(
        "ALTER TABLE ollive.fct_inferences DROP COLUMN metadata, ADD COLUMN legacy UInt8"
    )
    load(server, [inference(3, T0)])
    failed = dbt(server, tmp_path, *BUILD, check=False)
    assert "The columns of `ollive`.`fct_inferences` differ from its model" in failed
    assert "the model has metadata String that the table has not" in failed
    assert "the table has legacy UInt8 that the model has not" in failed
    assert statuses(server) == [(f"01940000-0000-7000-8000-{n:012x}", "ok") for n in range(1, 3)], (
        "the failed run wrote nothing"
    )

    dbt(server, tmp_path, *BUILD, "--full-refresh")
    dbt(server, tmp_path, *BUILD)
    assert len(statuses(server)) == 3

    # a check that passed is not repeated while nothing it depends on changed (the digest in
    # the table's comment), and is again once the table changes
    def describes() -> int:
        client = server.client()
        client.command("SYSTEM FLUSH LOGS")
        return client.command(
            "SELECT count() FROM system.query_log WHERE type = 'QueryFinish' "
            "AND startsWith(query, '/* {\"app\": \"dbt\"') AND query ILIKE '%describe table (%' "
            'AND query LIKE \'%"node_id": "model.ollive.fct_inferences"%\''
        )

    comment = (
        "SELECT comment FROM system.tables WHERE database = 'ollive' AND name = 'fct_inferences'"
    )
    assert server.client().command(comment).startswith("ollive-schema-checked:")
    before = describes()
    assert before >= 1  # the run after the full refresh checked
    load(server, [inference(4, T0)])
    dbt(server, tmp_path, *BUILD)
    assert describes() == before and len(statuses(server)) == 4
    server.client().command("ALTER TABLE ollive.fct_inferences ADD COLUMN legacy UInt8")
    load(server, [inference(5, T0)])
    failed = dbt(server, tmp_path, *BUILD, check=False)
    assert "the table has legacy UInt8 that the model has not" in failed
