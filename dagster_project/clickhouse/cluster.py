"""Which ClickHouse cluster the pipeline's own SQL targets, read where the SQL is run.

`OLLIVE_PIPELINE_CLICKHOUSE_CLUSTER` (PipelineSettings) names it; unset means one server. The
loader and the sensor read it at each load/tick, so the staging DDL, the INSERT settings and the
cleanup of a partial load always agree with the dbt target that reads the same variable."""

from __future__ import annotations

from ollive_contract.settings import PipelineSettings


def configured_cluster() -> str | None:
    """The cluster named by the environment, or None for a single server."""
    return PipelineSettings().clickhouse_cluster
