"""Raw objects (external) and the ClickHouse staging tables the load job materializes."""

from typing import Any

import dagster as dg
from pydantic import Field

from dagster_project.ingestion.load import Outcome, load_objects
from dagster_project.ingestion.manifest import LOADED, QUARANTINED
from dagster_project.ingestion.settings import LoaderSettings
from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import LOG_TYPES
from ollive_contract.object_keys import RAW_PREFIX
from ollive_contract.tables import STAGING_DATABASE, STAGING_TABLES

# Transient failures (network, ClickHouse restarting, S3 5xx) retry with growing delays; a bad
# object never reaches this: it is quarantined, not raised.
LOAD_RETRY = dg.RetryPolicy(
    max_retries=4, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def raw_asset_key(log_type: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", log_type])


def staging_asset_key(log_type: str) -> dg.AssetKey:
    return dg.AssetKey([STAGING_DATABASE, STAGING_TABLES[log_type]])


def load_pool(log_type: str) -> str:
    """The concurrency pool of every op that writes `log_type` staging rows (its staging asset,
    its replay op): `dagster.yaml` runs one run holding a pool at a time, which the loader's
    "already has rows" check relies on (`ingestion/load.py`)."""
    return f"ollive_load_{log_type}"


def load_op_name(log_type: str) -> str:
    """The op behind the staging asset (run config is keyed by it)."""
    return staging_asset_key(log_type).to_python_identifier()


raw_objects = [
    dg.AssetSpec(
        raw_asset_key(lt),
        description=f"Raw {lt} NDJSON.gz objects written by the ingest API (source of truth).",
        group_name="raw",
        kinds={"s3"},
    )
    for lt in LOG_TYPES
]


class LoadConfig(dg.Config):
    """Which objects this run loads (the sensor fills it in)."""

    object_keys: list[str] = Field(default_factory=list, description="Raw object keys to load.")
    object_sizes: list[int] = Field(
        default_factory=list, description="Their sizes in bytes, same order (for the manifest)."
    )


def summarize(outcomes: list[Outcome], sample: int = 20) -> dict[str, Any]:
    """Run metadata: counts, and the first keys loaded and quarantined."""
    by = {s: [o for o in outcomes if o.status == s] for s in (LOADED, QUARANTINED, "skipped")}
    quarantined = by[QUARANTINED]
    return {
        "rows_loaded": sum(o.rows for o in by[LOADED]),
        "objects_loaded": len(by[LOADED]),
        "objects_skipped": len(by["skipped"]),
        "objects_quarantined": len(quarantined),
        "bytes_loaded": sum(o.size for o in by[LOADED]),
        "object_keys": dg.MetadataValue.md(
            "\n".join(f"- `{o.object_key}`" for o in by[LOADED][:sample]) or "none"
        ),
        "quarantined": dg.MetadataValue.md(
            "\n".join(f"- `{o.object_key}`: {o.reason[:200]}" for o in quarantined[:sample])
            or "none"
        ),
    }


def build_staging_asset(log_type: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=staging_asset_key(log_type),
        deps=[raw_asset_key(log_type)],
        description=f"Staging table of {log_type} events, loaded exactly once per raw object.",
        group_name="staging",
        kinds={"clickhouse"},
        retry_policy=LOAD_RETRY,
        op_tags={"ollive/log_type": log_type},
        pool=load_pool(log_type),
    )
    def _load(
        context: dg.AssetExecutionContext,
        config: LoadConfig,
        clickhouse: ClickHouseResource,
        object_store: ObjectStoreResource,
        loader: LoaderSettings,
    ) -> dg.MaterializeResult:
        sizes = config.object_sizes or [0] * len(config.object_keys)
        objects = list(zip(config.object_keys, sizes, strict=True))
        foreign = [k for k, _ in objects if not k.startswith(f"{RAW_PREFIX}/{log_type}/")]
        if foreign:
            raise dg.Failure(f"objects of another log type in a {log_type} load: {foreign[:3]}")
        outcomes = load_objects(
            clickhouse,
            object_store,
            objects,
            context.run.run_id,
            **loader.load_options(),
        )
        for o in outcomes:
            if o.status == QUARANTINED:
                context.log.warning(f"quarantined {o.object_key}: {o.reason[:500]}")
        metadata = summarize(outcomes)
        context.log.info(
            f"{log_type}: {metadata['rows_loaded']} rows from {metadata['objects_loaded']} objects"
        )
        return dg.MaterializeResult(metadata=metadata)

    return _load


staging_assets = [build_staging_asset(lt) for lt in LOG_TYPES]
staging_keys = [staging_asset_key(lt) for lt in LOG_TYPES]
