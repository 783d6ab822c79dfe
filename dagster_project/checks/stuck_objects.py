"""Nothing silently stuck: objects the sensor no longer sees, and quarantined objects, alarm.

The sensor and the freshness check re-list only the last `lookback_hours` arrival hours. An
object whose loads kept failing for longer than that (ClickHouse down for hours, a bug in the
load path) leaves both windows unloaded and unseen; `no_objects_stuck_beyond_lookback` lists the
hours before the window (up to `horizon_hours` more) and fails, with the keys, on any object
absent from the load manifest there. A quarantined object never blocks the others but stays in
the manifest as `quarantined`; `no_quarantined_objects` warns, with keys and reasons, for as
long as one is quarantined and still in the store. Both are re-driven after a fix by the
`redrive_raw_objects_job` (`ingestion/redrive.py`); a quarantined object that must not be
loaded is dismissed by moving it out of `raw/` (the quarantine check then records it as
`dismissed` in the manifest). The stuck check also records what it finds in the quarantine table
(`record_stuck`), so the warehouse shows stuck objects beside quarantined ones (superset_config's
`objects_not_loaded` and `load_health` datasets), and both publish their counts as Prometheus
gauges in textfiles (`metrics_file.py`) for an alert outside Dagster.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from dagster_project.checks.metrics_file import metrics_dir, publish
from dagster_project.ingestion.assets import staging_asset_key
from dagster_project.ingestion.quarantine import (
    quarantined_objects,
    record_dismissed,
    record_stuck,
)
from dagster_project.ingestion.redrive import DEFAULT_HORIZON_HOURS, still_stored, stuck_objects
from dagster_project.ingestion.settings import LoaderSettings
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import LOG_TYPES
from ollive_contract.object_keys import ObjectKey

KEYS_SHOWN = 20


def build_stuck_objects_check(
    log_type: str, horizon_hours: int = DEFAULT_HORIZON_HOURS
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=staging_asset_key(log_type),
        name="no_objects_stuck_beyond_lookback",
        description=(
            f"No raw object of the {horizon_hours} h before the loader's lookback is unloaded "
            "(the sensor no longer sees those)."
        ),
    )
    def _check(
        object_store: ObjectStoreResource, clickhouse: ClickHouseResource, loader: LoaderSettings
    ) -> dg.AssetCheckResult:
        now = datetime.now(UTC)
        client = clickhouse.get_client()
        stuck = stuck_objects(
            object_store, client, log_type, now, loader.lookback_hours, horizon_hours
        )
        # recorded in the warehouse too, for the Privacy dashboard's pipeline tiles
        record_stuck(client, log_type, [k for k, _ in stuck], loader.lookback_hours)
        oldest = ObjectKey.parse(stuck[0][0]).received_at if stuck else now
        directory = metrics_dir(loader.metrics_dir)
        publish(directory, "ollive_objects_stuck", log_type, len(stuck))
        publish(
            directory,
            "ollive_objects_stuck_oldest_age_seconds",
            log_type,
            (now - oldest).total_seconds(),
        )
        return dg.AssetCheckResult(
            passed=not stuck,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"{len(stuck)} objects older than the {loader.lookback_hours} h lookback were "
                "never loaded: run `redrive_raw_objects_job` with `stuck: true`"
                if stuck
                else None
            ),
            metadata={
                "stuck_objects": len(stuck),
                "oldest_stuck_age_s": (now - oldest).total_seconds(),
                "object_keys": dg.MetadataValue.json([k for k, _ in stuck[:KEYS_SHOWN]]),
            },
        )

    return _check


def build_quarantine_check(log_type: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=staging_asset_key(log_type),
        name="no_quarantined_objects",
        description="No raw object is quarantined (bad bytes the loader refused).",
    )
    def _check(
        object_store: ObjectStoreResource, clickhouse: ClickHouseResource, loader: LoaderSettings
    ) -> dg.AssetCheckResult:
        s3 = object_store.client()
        client = clickhouse.get_client()
        quarantined = quarantined_objects(client, log_type)
        present = [(k, r) for k, r in quarantined if still_stored(s3, object_store.bucket, k)]
        # an object moved out of the store has been dismissed: no longer an alarm, anywhere
        kept = {k for k, _ in present}
        record_dismissed(client, log_type, [k for k, _ in quarantined if k not in kept])
        publish(
            metrics_dir(loader.metrics_dir), "ollive_objects_quarantined", log_type, len(present)
        )
        return dg.AssetCheckResult(
            passed=not present,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{len(present)} objects quarantined: fix the cause, then run "
                "`redrive_raw_objects_job` with `quarantined: true`"
                if present
                else None
            ),
            metadata={
                "quarantined_objects": len(present),
                "object_keys": dg.MetadataValue.json([k for k, _ in present[:KEYS_SHOWN]]),
                "reasons": dg.MetadataValue.json({k: r[:300] for k, r in present[:KEYS_SHOWN]}),
            },
        )

    return _check


def build_stuck_and_quarantine_checks(
    horizon_hours: int = DEFAULT_HORIZON_HOURS,
) -> list[dg.AssetChecksDefinition]:
    return [build_stuck_objects_check(lt, horizon_hours) for lt in LOG_TYPES] + [
        build_quarantine_check(lt) for lt in LOG_TYPES
    ]
