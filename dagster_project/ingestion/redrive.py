"""Re-drive: load again, after a fix, the objects the sensor will not retry on its own.

Two kinds: quarantined objects (the manifest says `quarantined`, so nothing asks for them
again) and stuck objects (never loaded, and older than the sensor's `lookback_hours` window).
The `redrive_raw_objects` job takes explicit keys and/or every object of either kind, and loads
them through the normal exactly-once path (`load_objects`, manifest not consulted: an object
that does have rows is recorded, not inserted again). Each log type's op holds that log type's
load pool, like replays. An object that is still bad is quarantined again, and still alarms.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

import dagster as dg
from botocore.exceptions import ClientError
from pydantic import Field

from dagster_project.ingestion import manifest
from dagster_project.ingestion.assets import LOAD_RETRY, load_pool, staging_asset_key, summarize
from dagster_project.ingestion.load import load_objects
from dagster_project.ingestion.quarantine import quarantined_objects
from dagster_project.ingestion.settings import LoaderSettings
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import LOG_TYPES
from ollive_contract.object_keys import SUFFIX, ObjectKey, recent_hour_prefixes

REDRIVE_TAGS = {"ollive/stage": "redrive"}
# how far before the sensor's window stuck objects are looked for (one LIST per hour, log type)
DEFAULT_HORIZON_HOURS = 72


def stuck_objects(
    store: ObjectStoreResource,
    client: object,
    log_type: str,
    now: datetime,
    lookback: int,
    horizon: int = DEFAULT_HORIZON_HOURS,
) -> list[tuple[str, int]]:
    """(key, size) of the `log_type` objects of the `horizon` hours before the sensor's window
    that the manifest does not hold, oldest first."""
    seen_by_sensor = set(recent_hour_prefixes(log_type, now, lookback))
    before = [
        p
        for p in recent_hour_prefixes(log_type, now, lookback + horizon)
        if p not in seen_by_sensor
    ]
    known = manifest.keys_under(client, before)
    s3 = store.client()
    found = [
        (key, size)
        for prefix in before
        for key, size in store.list_keys(prefix, s3)
        if key.endswith(SUFFIX) and key not in known
    ]
    return sorted(found, key=lambda item: ObjectKey.parse(item[0]).received_at)


def still_stored(s3: Any, bucket: str, key: str) -> bool:
    """False once an object has left the store: a quarantined object moved out of `raw/` is
    dismissed (no alarm, no re-drive)."""
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


class RedriveConfig(dg.Config):
    """What to load again."""

    object_keys: list[str] = Field(default_factory=list, description="Raw object keys.")
    quarantined: bool = Field(False, description="Also every object quarantined now.")
    stuck: bool = Field(False, description="Also every object stuck beyond the lookback.")
    horizon_hours: int = Field(
        DEFAULT_HORIZON_HOURS, ge=1, description="How far before the lookback to look for stuck."
    )


class RedriveRequest(NamedTuple):
    """What one log type's op loads again."""

    object_keys: list[str]
    quarantined: bool
    stuck: bool
    horizon_hours: int


@dg.op(out={lt: dg.Out(RedriveRequest, is_required=False) for lt in LOG_TYPES}, tags=REDRIVE_TAGS)
def redrive_selection(config: RedriveConfig) -> Iterator[dg.Output]:
    """Checks the keys and hands each log type its share of the request."""
    by_type: dict[str, list[str]] = {lt: [] for lt in LOG_TYPES}
    for key in config.object_keys:
        try:
            by_type[ObjectKey.parse(key).log_type].append(key)
        except (ValueError, KeyError) as exc:
            raise dg.Failure(f"not a raw object key: {key!r}") from exc
    for log_type, keys in by_type.items():
        if keys or config.quarantined or config.stuck:
            request = RedriveRequest(keys, config.quarantined, config.stuck, config.horizon_hours)
            yield dg.Output(request, output_name=log_type)


def build_redrive_op(log_type: str) -> dg.OpDefinition:
    @dg.op(
        name=f"redrive_{log_type}",
        out={},
        retry_policy=LOAD_RETRY,
        tags=REDRIVE_TAGS,
        pool=load_pool(log_type),
    )
    def _redrive(
        context: dg.OpExecutionContext,
        request: RedriveRequest,
        clickhouse: ClickHouseResource,
        object_store: ObjectStoreResource,
        loader: LoaderSettings,
    ) -> Iterator[dg.AssetMaterialization]:
        """Loads the log type's requested, quarantined and stuck objects again."""
        client = clickhouse.get_client()
        objects = dict.fromkeys(request.object_keys, 0)
        if request.quarantined:
            s3 = object_store.client()
            objects.update(
                (key, 0)
                for key, _ in quarantined_objects(client, log_type)
                if still_stored(s3, object_store.bucket, key)
            )
        if request.stuck:
            now = datetime.now(UTC)
            objects.update(
                stuck_objects(
                    object_store,
                    client,
                    log_type,
                    now,
                    loader.lookback_hours,
                    request.horizon_hours,
                )
            )
        if not objects:
            context.log.info(f"{log_type}: nothing to re-drive")
            return
        outcomes = load_objects(
            clickhouse,
            object_store,
            list(objects.items()),
            context.run.run_id,
            skip_recorded=False,
            **loader.load_options(),
        )
        metadata = summarize(outcomes)
        context.log.info(
            f"{log_type}: {len(objects)} objects re-driven, {metadata['objects_loaded']} loaded, "
            f"{metadata['objects_quarantined']} quarantined again"
        )
        yield dg.AssetMaterialization(
            staging_asset_key(log_type), description="re-drive", metadata=metadata
        )

    return _redrive


redrive_ops = {lt: build_redrive_op(lt) for lt in LOG_TYPES}


@dg.job(tags=REDRIVE_TAGS, executor_def=dg.in_process_executor)
def redrive_raw_objects_job() -> None:
    """Loads quarantined or stuck raw objects again, after a fix (idempotent)."""
    selection = redrive_selection()
    for log_type, op in redrive_ops.items():
        op(getattr(selection, log_type))
