"""The concurrency pools the project's ops claim, and their limits set up front.

Dagster sets a pool's default limit lazily, in the dequeue pass that first sees a run claiming
it, and does not count that pool in the same pass: on a brand-new instance two queued runs of
one pool could both start. `ollive up` and the production daemon (`python -m
dagster_project.pools` before `dagster-daemon run`) set the limits before any run is queued.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.ingestion.assets import load_pool
from dagster_project.transformation.assets import DBT_POOL, DBT_REST_POOL
from ollive_contract.events import LOG_TYPES


def managed_pools() -> list[str]:
    """`dbt` (the rollup path), `dbt_rest` and one `ollive_load_<log_type>` per log type."""
    return [DBT_POOL, DBT_REST_POOL, *(load_pool(log_type) for log_type in LOG_TYPES)]


def initialize_pools(instance: dg.DagsterInstance) -> None:
    """Store each managed pool's limit (the instance's `pools.default_limit`) if it has none."""
    for pool in managed_pools():
        instance.event_log_storage.initialize_concurrency_limit_to_default(pool)


if __name__ == "__main__":
    with dg.DagsterInstance.get() as current:
        initialize_pools(current)
        for name in managed_pools():
            limit = current.event_log_storage.get_concurrency_info(name).slot_count
            print(f"pool {name}: limit {limit or 'none (no pools.default_limit in dagster.yaml)'}")
