"""Anomaly checks: one warning per metric family while `anomalies_5m` has open anomalies.

dbt flags the buckets (dbt_project/models/marts/anomalies/); these checks read the flags and
list the open ones in their metadata. "Open" is relative to the newest scored bucket, not the
wall clock: a stalled pipeline is the freshness checks' to report, not a cleared anomaly.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dagster as dg

from dagster_project.resources.clickhouse import ClickHouseResource
from ollive_contract.tables import MARTS_DATABASE

ANOMALY_MODEL = "anomalies_5m"
SCORES_MODEL = "anomaly_scores_5m"
# metric (as anomaly_scores_5m names it) → what the check is called in the UI
METRIC_FAMILIES = {
    "error_rate": "error rate",
    "latency_p50_ms": "median latency",
    "latency_p95_ms": "p95 latency",
    "ttft_p50_ms": "median time to first token",
    "ttft_p95_ms": "p95 time to first token",
    "requests": "throughput (requests)",
    "cost_per_request_usd": "cost per request",
}
OPEN_WINDOW = timedelta(minutes=30)
MAX_LISTED = 20

OPEN_ANOMALIES = f"""
SELECT bucket_start, project_id, service, provider, model, direction, observed, baseline,
    robust_z
FROM {MARTS_DATABASE}.{ANOMALY_MODEL}
WHERE metric = {{metric:String}}
    AND bucket_start >= (SELECT max(bucket_start) FROM {MARTS_DATABASE}.{SCORES_MODEL})
        - toIntervalMinute({{minutes:UInt32}})
ORDER BY bucket_start DESC, abs(robust_z) DESC
"""
COLUMNS = ("bucket_start", "series", "direction", "observed", "baseline", "robust_z")


def open_anomalies(client: Any, metric: str, window: timedelta = OPEN_WINDOW) -> list[dict]:
    """Flagged buckets of `metric` within `window` of the newest scored bucket, newest first."""
    result = client.query(
        OPEN_ANOMALIES,
        parameters={"metric": metric, "minutes": int(window.total_seconds() // 60)},
    )
    return [
        {
            "bucket_start": str(row[0]),
            "series": "/".join(row[1:5]),
            "direction": row[5],
            "observed": round(row[6], 6),
            "baseline": round(row[7], 6),
            "robust_z": round(row[8], 1),
        }
        for row in result.result_rows
    ]


def _markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(r[c]) for c in COLUMNS) + " |" for r in rows[:MAX_LISTED]]
    return "\n".join(lines)


def build_anomaly_check(asset_key: dg.AssetKey, metric: str, label: str):
    @dg.asset_check(
        asset=asset_key,
        name=f"no_open_{metric}_anomalies",
        description=f"No {label} anomaly in the last {OPEN_WINDOW} of scored buckets (warns).",
    )
    def _check(clickhouse: ClickHouseResource) -> dg.AssetCheckResult:
        rows = open_anomalies(clickhouse.get_client(), metric)
        return dg.AssetCheckResult(
            passed=not rows,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "open_anomalies": len(rows),
                "series": len({r["series"] for r in rows}),
                "anomalies": dg.MetadataValue.md(_markdown(rows)),
            },
        )

    return _check


def build_anomaly_checks(asset_key: dg.AssetKey) -> list[dg.AssetChecksDefinition]:
    """One warning check per metric family on the anomaly model's asset."""
    return [build_anomaly_check(asset_key, m, label) for m, label in METRIC_FAMILIES.items()]


def build_anomaly_schedule(checks: list[dg.AssetChecksDefinition]) -> dg.ScheduleDefinition:
    job = dg.define_asset_job(
        "anomaly_checks",
        selection=dg.AssetSelection.checks(*checks),
        executor_def=dg.in_process_executor,
        description="Evaluates the anomaly checks (one query per metric family).",
    )
    return dg.ScheduleDefinition(
        job=job,
        # two minutes after each bucket closes: the dbt build after the loads has scored it
        cron_schedule="2-59/5 * * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Anomaly checks every 5 minutes, offset from the freshness checks.",
    )
