"""The load job the sensor drives: one run loads a batch of one log type's objects."""

from __future__ import annotations

import dagster as dg

from dagster_project.ingestion.assets import staging_keys

LOAD_JOB_TAGS = {"ollive/stage": "load"}
# Sensor-requested load runs carry their log type here; the run queue admits one per value,
# which makes batched INSERTs exactly-once (see `ingestion/load.py`).
LOG_TYPE_TAG = "ollive/log_type"

load_raw_objects_job = dg.define_asset_job(
    "load_raw_objects",
    # without the staging freshness checks: each lists the object store and diffs it against
    # the manifest, which belongs to the freshness schedule, not to every load's latency
    selection=dg.AssetSelection.assets(*staging_keys).without_checks(),
    description="Loads the raw objects named in the run config into staging, exactly once.",
    # the INSERTs run inside ClickHouse; a process per step would only add start-up time
    executor_def=dg.in_process_executor,
    tags=LOAD_JOB_TAGS,
)
