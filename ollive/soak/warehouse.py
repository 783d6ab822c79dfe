"""What the soak reads back: the raw objects it caused, their load state, the Dagster runs still
active, and per-event counts in the facts."""

from __future__ import annotations

from typing import Any

import dagster as dg

from ollive_contract.object_keys import ObjectKey
from ollive_contract.tables import (
    LOAD_MANIFEST_TABLE,
    MARTS_DATABASE,
    STAGING_DATABASE,
    staging_table,
)

# log type → (fact, rollup, the rollup's count column)
MARTS: dict[str, tuple[str, str, str]] = {
    "inference": ("fct_inferences", "agg_inference_5m", "requests"),
    "tool_execution": ("fct_tool_executions", "agg_tool_5m", "calls"),
    "application": ("fct_application_logs", "agg_application_5m", "records"),
    "score": ("fct_scores", "agg_scores_5m", "scores"),
}
ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def raw_keys_since(s3: Any, bucket: str, since_ms: int) -> list[str]:
    """Keys under `raw/` received at or after `since_ms` (the key says when). Not the OTLP
    request archive: its objects hold requests, not events."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="raw/"):
        for item in page.get("Contents", []):
            try:
                key = ObjectKey.parse(item["Key"])
            except ValueError:
                continue
            if key.log_type in MARTS and key.received_at.timestamp() * 1000 >= since_ms:
                keys.append(item["Key"])
    return keys


def manifest_status(ch: Any, keys: list[str]) -> dict[str, str]:
    """The latest manifest status of each of `keys` that has one."""
    found: dict[str, str] = {}
    for i in range(0, len(keys), 5000):
        result = ch.query(
            f"SELECT object_key, argMax(status, loaded_at) "
            f"FROM {STAGING_DATABASE}.{LOAD_MANIFEST_TABLE} "
            "WHERE object_key IN {keys:Array(String)} GROUP BY object_key",
            parameters={"keys": keys[i : i + 5000]},
        )
        found.update(dict(result.result_rows))
    return found


def active_runs(instance: dg.DagsterInstance) -> dict[str, int]:
    """Runs not finished, by status."""
    out = {}
    for status in ACTIVE:
        n = instance.get_runs_count(dg.RunsFilter(statuses=[status]))
        if n:
            out[status.value] = n
    return out


def fact_counts(ch: Any, log_type: str, service: str) -> dict[str, int]:
    """How many rows each event id of `service` has in `log_type`'s fact."""
    fact = MARTS[log_type][0]
    result = ch.query(
        f"SELECT toString(event_id), count() FROM {MARTS_DATABASE}.{fact} "
        "WHERE service = {service:String} GROUP BY event_id",
        parameters={"service": service},
    )
    return dict(result.result_rows)


def rollup_vs_fact(ch: Any, log_type: str, service: str) -> tuple[int, int]:
    """(the rollup's total, the fact's row count) for `service`."""
    fact, rollup, column = MARTS[log_type]
    params = {"service": service}
    where = "WHERE service = {service:String}"
    total = ch.query(
        f"SELECT sum({column}) FROM {MARTS_DATABASE}.{rollup} {where}", parameters=params
    ).result_rows[0][0]
    rows = ch.query(
        f"SELECT count() FROM {MARTS_DATABASE}.{fact} {where}", parameters=params
    ).result_rows[0][0]
    return int(total or 0), int(rows)


def staged_copies(ch: Any, log_type: str, service: str) -> tuple[int, int]:
    """(rows, distinct event ids) of `service` in `log_type`'s staging table: every copy the
    SDK's retries stored is a row there, deduplicated only by dbt."""
    rows, ids = ch.query(
        f"SELECT count(), uniqExact(event_id) FROM {staging_table(log_type)} "
        "WHERE service = {service:String}",
        parameters={"service": service},
    ).result_rows[0]
    return int(rows), int(ids)
