"""`ollive rebuild` on the embedded parts: drop the warehouse, replay the raw objects, rebuild
dbt, and the facts are the same rows as before (ClickHouse is a projection of the lake)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dagster_project.maintenance.warehouse import fingerprint
from ollive.rebuild import build_marts, rebuild, replay_lake, resources
from ollive.synthetic_events import put_corrupt_object, put_raw_object, raw_lines
from ollive_contract.events import LOG_TYPES
from ollive_contract.settings import PipelineSettings
from ollive_contract.settings.clickhouse import ClickHouseSettings
from ollive_contract.settings.object_store import ObjectStoreSettings
from tests.fixtures.clickhouse import ClickHouseServer, start_clickhouse_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ClickHouseServer]:
    """A private server: a rebuild drops the warehouse."""
    ch = start_clickhouse_server(tmp_path / "clickhouse")
    yield ch
    ch.stop()


def test_rebuild_gives_identical_facts(server: ClickHouseServer, s3_store, tmp_path: Path) -> None:
    bucket = f"rebuild-{uuid.uuid4().hex[:10]}"
    s3 = s3_store.client()
    s3.create_bucket(Bucket=bucket)
    pipeline = PipelineSettings(
        s3=ObjectStoreSettings(
            endpoint=s3_store.endpoint,
            access_key=s3_store.creds.access_key,
            secret_key=s3_store.creds.secret_key,
            bucket=bucket,
        ),
        clickhouse=ClickHouseSettings(
            host=server.host, port=server.port, user=server.user, password=server.password
        ),
        user_id_salt="rebuild-test-salt",
    )
    # two arrival days, every log type, an SDK retry (the same events in a second object) and
    # an object that must be quarantined
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for hours_ago in (30, 2, 1):
        at = now - timedelta(hours=hours_ago)
        for i, log_type in enumerate(LOG_TYPES):
            lines = raw_lines(log_type, 40, at, start=1000 * hours_ago + 100 * i)
            put_raw_object(s3, bucket, log_type, lines, at)
            if hours_ago == 1:
                put_raw_object(s3, bucket, log_type, lines[:10], at + timedelta(seconds=5))
    put_corrupt_object(s3, bucket, "inference", now - timedelta(hours=1))

    # the warehouse as the pipeline left it
    replay_lake(pipeline, print)
    build_marts(pipeline, print)
    client = resources(pipeline)["clickhouse"].get_client()
    before = fingerprint(client)
    facts = ("fct_inferences", "fct_tool_executions", "fct_application_logs", "fct_scores")
    # one row per event id: the retried objects collapse
    assert [before[t][0] for t in facts] == [120] * 4, before
    assert before["agg_inference_5m"][0] > 0, before

    report = rebuild(pipeline, print)
    assert report.before == before
    assert report.changed == [], (report.before, report.after)
    assert len(report.days) in (1, 2)  # 30 hours ago may be today's date or yesterday's
    quarantined = client.command("SELECT count() FROM ollive_staging.quarantine")
    assert int(quarantined) == 1
