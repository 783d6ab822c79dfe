"""Loads into the embedded ClickHouse are exactly-once per object, whatever happens around them."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from dagster_project.clickhouse import migrate
from dagster_project.clickhouse.staging_schema import LINEAGE, event_columns
from dagster_project.ingestion import load as load_module
from dagster_project.ingestion.assets import build_staging_asset, load_op_name
from ollive.synthetic_events import put_corrupt_object, put_raw_object, raw_lines
from ollive_contract.tables import staging_table
from tests.fixtures.pipeline import Pipeline


def _objects(p: Pipeline, log_type: str, sizes: list[int]) -> list[str]:
    now = datetime.now(UTC)
    s3 = p.s3()
    return [
        put_raw_object(s3, p.store.bucket, log_type, raw_lines(log_type, n, now, start=i * 1000))
        for i, n in enumerate(sizes)
    ]


def _load(p: Pipeline, log_type: str, keys: list[str]) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [build_staging_asset(log_type)],
        resources=p.resources,
        run_config={"ops": {load_op_name(log_type): {"config": {"object_keys": keys}}}},
    )


def test_load_then_reload_is_exactly_once(pipeline: Pipeline) -> None:
    keys = _objects(pipeline, "inference", [100, 250, 7])
    result = _load(pipeline, "inference", keys)
    assert result.success
    meta = result.asset_materializations_for_node(load_op_name("inference"))[0].metadata
    assert meta["rows_loaded"].value == 357 and meta["objects_loaded"].value == 3
    assert pipeline.staged("inference", keys) == (357, 357)
    assert set(pipeline.manifest_statuses(keys).values()) == {"loaded"}

    # the sensor asks again / the same objects are sent twice: the manifest skips them
    again = _load(pipeline, "inference", keys + keys[:1])
    meta = again.asset_materializations_for_node(load_op_name("inference"))[0].metadata
    assert meta["objects_skipped"].value == 4 and meta["rows_loaded"].value == 0
    assert pipeline.staged("inference", keys) == (357, 357)


def test_run_dying_between_insert_and_manifest_inserts_nothing_on_retry(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The insert lands, the manifest write fails; the retried op's insert is deduplicated."""
    keys = _objects(pipeline, "tool_execution", [40, 60])
    real_record = load_module.manifest.record
    failures = {"left": 1}

    def crash_once(client, rows):
        if failures["left"] and rows[0].status == "loaded":
            failures["left"] -= 1
            raise ConnectionError("process died before the manifest row")
        real_record(client, rows)

    monkeypatch.setattr(load_module.manifest, "record", crash_once)
    result = _load(pipeline, "tool_execution", keys)
    assert result.success  # the RetryPolicy re-ran the step
    assert failures["left"] == 0
    assert pipeline.staged("tool_execution", keys) == (100, 100)
    assert set(pipeline.manifest_statuses(keys).values()) == {"loaded"}


def test_manifest_lost_entirely_token_still_blocks_copies(pipeline: Pipeline) -> None:
    keys = _objects(pipeline, "application", [30, 30])
    assert _load(pipeline, "application", keys).success
    pipeline.ch().command(
        "DELETE FROM ollive_staging.load_manifest WHERE object_key IN {keys:Array(String)}",
        parameters={"keys": keys},
    )
    assert pipeline.manifest_statuses(keys) == {}
    assert _load(pipeline, "application", keys).success
    assert pipeline.staged("application", keys) == (60, 60)
    assert set(pipeline.manifest_statuses(keys).values()) == {"loaded"}


def test_corrupt_objects_are_quarantined_and_the_rest_load(pipeline: Pipeline) -> None:
    s3 = pipeline.s3()
    good = _objects(pipeline, "inference", [20, 30])
    not_gzip = put_corrupt_object(s3, pipeline.store.bucket, "inference")
    bad_lines = put_corrupt_object(s3, pipeline.store.bucket, "inference", gzip_ok=True)
    missing_field = put_raw_object(
        s3,
        pipeline.store.bucket,
        "inference",
        [b'{"event_id": "018f3c1e-0000-7000-8000-000000000001", "service": "x"}\n'],
    )
    keys = [good[0], not_gzip, bad_lines, missing_field, good[1]]
    result = _load(pipeline, "inference", keys)
    assert result.success
    assert pipeline.staged("inference", good) == (50, 50)
    assert pipeline.staged("inference", [not_gzip, bad_lines, missing_field]) == (0, 0)
    statuses = pipeline.manifest_statuses(keys)
    assert [statuses[k] for k in keys] == [
        "loaded",
        "quarantined",
        "quarantined",
        "quarantined",
        "loaded",
    ]
    reasons = dict(
        pipeline.ch()
        .query(
            "SELECT object_key, reason FROM ollive_staging.quarantine "
            "WHERE object_key IN {keys:Array(String)}",
            parameters={"keys": keys},
        )
        .result_rows
    )
    assert "inflate" in reasons[not_gzip].lower()
    assert "UUID" in reasons[bad_lines]
    assert "non-conforming" in reasons[missing_field]


def test_manifest_lookup_of_thousands_of_keys(pipeline: Pipeline) -> None:
    keys = _objects(pipeline, "application", [3])
    assert _load(pipeline, "application", keys).success
    many = [*keys, *(f"raw/application/v1/dt=2026-01-01/hour=00/{i:040d}" for i in range(3000))]
    assert load_module.manifest.recorded(pipeline.ch(), many) == set(keys)


def _rows_loaded(p: Pipeline, keys: list[str]) -> dict[str, int]:
    result = p.ch().query(
        "SELECT object_key, rows_loaded FROM ollive_staging.load_manifest FINAL "
        "WHERE object_key IN {keys:Array(String)}",
        parameters={"keys": keys},
    )
    return dict(result.result_rows)


def test_batched_insert_records_rows_per_object(pipeline: Pipeline) -> None:
    keys = _objects(pipeline, "inference", [5, 17, 40, 1])
    outcomes = load_module.load_objects(
        pipeline.clickhouse, pipeline.store, [(k, 0) for k in keys], "t", objects_per_insert=3
    )
    assert sorted(o.rows for o in outcomes) == [1, 5, 17, 40]
    assert _rows_loaded(pipeline, keys) == dict(zip(keys, [5, 17, 40, 1], strict=True))
    assert pipeline.staged("inference", keys) == (63, 63)


def test_batch_of_another_composition_does_not_copy_loaded_objects(pipeline: Pipeline) -> None:
    """A run loaded [a, b, c] in one INSERT and died before its manifest rows; a later run
    batches [b, c, d] (another token): b and c are found in staging by `_object_key`, recorded,
    and not inserted again."""
    a, b, c, d = _objects(pipeline, "tool_execution", [10, 20, 30, 40])
    client = pipeline.ch()
    load_module.load_batch(client, pipeline.store, "tool_execution", [(a, 0), (b, 0), (c, 0)], "r1")
    client.command(
        "DELETE FROM ollive_staging.load_manifest WHERE object_key IN {keys:Array(String)}",
        parameters={"keys": [a, b, c]},
    )
    outcomes = load_module.load_objects(
        pipeline.clickhouse,
        pipeline.store,
        [(b, 0), (c, 0), (d, 0)],
        "r2",
        objects_per_insert=8,
    )
    assert {o.object_key: o.rows for o in outcomes} == {b: 20, c: 30, d: 40}
    assert pipeline.staged("tool_execution", [a, b, c, d]) == (100, 100)
    assert _rows_loaded(pipeline, [b, c, d]) == {b: 20, c: 30, d: 40}


def test_batch_replayed_with_the_same_keys_is_deduplicated_by_its_token(
    pipeline: Pipeline,
) -> None:
    keys = _objects(pipeline, "application", [12, 13])
    client = pipeline.ch()
    objects = [(k, 0) for k in keys]
    load_module.load_batch(client, pipeline.store, "application", objects, "r1")
    # staging says nothing is there (as if the check raced) -> the same token blocks the copy
    real = load_module._rows_by_key
    calls = {"n": 0}

    def blind_first(client, table, keys):
        calls["n"] += 1
        return {} if calls["n"] == 1 else real(client, table, keys)

    load_module._rows_by_key = blind_first
    try:
        load_module.load_batch(client, pipeline.store, "application", objects, "r2")
    finally:
        load_module._rows_by_key = real
    assert pipeline.staged("application", keys) == (25, 25)


def test_batch_with_a_bad_object_loads_the_others_once(pipeline: Pipeline) -> None:
    s3 = pipeline.s3()
    good = _objects(pipeline, "inference", [9, 11])
    bad = put_corrupt_object(s3, pipeline.store.bucket, "inference", gzip_ok=True)
    keys = [good[0], bad, good[1]]
    outcomes = load_module.load_objects(
        pipeline.clickhouse, pipeline.store, [(k, 0) for k in keys], "t", objects_per_insert=8
    )
    assert {o.object_key: o.status for o in outcomes} == {
        good[0]: "loaded",
        bad: "quarantined",
        good[1]: "loaded",
    }
    assert pipeline.staged("inference", good) == (20, 20)


def test_schema_migration_adds_new_contract_columns_and_keeps_rows(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A staging table made before the contract carried `sample_rate` and `parent_span_id`
    gains both at the next load, in contract order, with its rows intact; the load fills them.
    A load finds the schema current in three reads and only then skips the migration."""
    table, ttl = staging_table("inference"), pipeline.loader.staging_ttl_days
    client = pipeline.ch()
    old_keys = _objects(pipeline, "inference", [12])
    assert _load(pipeline, "inference", old_keys).success
    assert migrate.schema_current(client, ttl, None)
    client.command(f"ALTER TABLE {table} DROP COLUMN sample_rate, DROP COLUMN parent_span_id")
    [(before,)] = client.query(f"SELECT count() FROM {table}").result_rows
    assert not migrate.schema_current(client, ttl, None)

    monkeypatch.setattr(migrate, "_done", set())  # a new process, as every load run is
    new_keys = _objects(pipeline, "inference", [5])
    assert _load(pipeline, "inference", new_keys).success
    assert migrate.schema_current(client, ttl, None)
    assert not migrate.schema_current(client, ttl + 1, None)  # another TTL would be a change too

    names = [
        row[0]
        for row in client.query(
            "SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String} "
            "ORDER BY position",
            parameters={"db": table.split(".")[0], "t": table.split(".")[1]},
        ).result_rows
    ]
    assert names == [n for n, _ in event_columns("inference") + LINEAGE]
    [(after, unsampled)] = client.query(
        f"SELECT count(), countIf(sample_rate IS NULL) FROM {table} "
        "WHERE _object_key IN {keys:Array(String)}",
        parameters={"keys": old_keys},
    ).result_rows
    assert after == 12 and unsampled == 12
    assert client.query(f"SELECT count() FROM {table}").result_rows == [(before + 5,)]
    assert pipeline.staged("inference", new_keys) == (5, 5)


def test_score_objects_load_with_typed_values(pipeline: Pipeline) -> None:
    """A score's value of three types lands in typed columns (data_type, numeric_value,
    string_value) of its own staging table."""
    keys = _objects(pipeline, "score", [6])
    assert _load(pipeline, "score", keys).success
    assert pipeline.staged("score", keys) == (6, 6)
    got = (
        pipeline.ch()
        .query(
            "SELECT data_type, numeric_value, string_value, target_trace_id "
            f"FROM {staging_table('score')} "
            "WHERE _object_key IN {keys:Array(String)} ORDER BY target_trace_id",
            parameters={"keys": keys},
        )
        .result_rows
    )
    # make_event: i % 3 picks a boolean (i even), a number (i % 5 + 0.5) or the category "good"
    assert got == [
        ("boolean", 1.0, "true", f"{0:032x}"),
        ("numeric", 1.5, None, f"{1:032x}"),
        ("categorical", None, "good", f"{2:032x}"),
        ("boolean", 0.0, "false", f"{3:032x}"),
        ("numeric", 4.5, None, f"{4:032x}"),
        ("categorical", None, "good", f"{5:032x}"),
    ]
