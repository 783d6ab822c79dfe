"""The Dagster code location and dbt (prefix `OLLIVE_PIPELINE_`): loader, dbt, lake, freshness.

Read once, in `dagster_project/definitions.py`; the dbt profile reads the same variables.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

from ollive_contract.settings.base import env_config, public_defaults
from ollive_contract.settings.clickhouse import ClickHouseSettings
from ollive_contract.settings.object_store import ObjectStoreSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The public salt of local and test builds; `dbt_project/profiles.yml` has the same default
# and `dbt_project/macros/pseudonymise.sql` refuses it on the production target.
DEV_USER_ID_SALT = "ollive-local-dev-salt"
PRODUCTION_TARGET = "production"


class PipelineSettings(BaseSettings):
    """How the loader batches, which dbt target builds, and when data counts as stale."""

    model_config = env_config("OLLIVE_PIPELINE_")

    dbt_project_dir: Path = Field(PROJECT_ROOT / "dbt_project", description="The dbt project.")
    dbt_target: str = Field(
        "embedded", description="dbt target: `embedded` (local) or `production`."
    )
    dbt_threads: int = Field(2, ge=1, description="dbt threads.")
    dbt_query_timeout_seconds: int = Field(
        600,
        ge=1,
        description=(
            "Seconds dbt waits for one query (dbt-clickhouse's send_receive_timeout); a first "
            "build over a large history may need more."
        ),
    )
    late_data_lookback_minutes: int = Field(
        10,
        ge=1,
        description=(
            "Minutes of loads each incremental dbt run re-reads below its watermark (dbt var "
            "`late_data_lookback_minutes`); must exceed the longest load INSERT, or rows that "
            "became visible later are missed. What a run re-reads grows with it times the rate."
        ),
    )
    user_id_salt: SecretStr = Field(
        SecretStr(DEV_USER_ID_SALT),
        description="Salt of user pseudonyms in the marts; required on the production target.",
    )
    loader_lookback_hours: int = Field(
        3, ge=1, description="Arrival-hour prefixes re-listed per log type on every tick."
    )
    loader_max_objects_per_run: int = Field(
        1000, ge=1, description="Most objects one load run takes; more become more runs."
    )
    loader_parallelism: int = Field(4, ge=1, description="Concurrent INSERTs within one run.")
    loader_objects_per_insert: int = Field(
        32,
        ge=1,
        description=(
            "Objects of one hour prefix read by one INSERT in sensor loads and replays (fewer "
            "parts, less CPU per row); 1 loads each object alone with its key as deduplication "
            "token."
        ),
    )
    staging_ttl_days: int = Field(
        30,
        ge=0,
        description="Days staging rows live after their load (`_loaded_at`); 0 keeps them.",
    )
    fact_ttl_days: int = Field(
        90,
        ge=0,
        description="Days fact and conversation rows live after their load; 0 keeps them (dbt).",
    )
    rollup_ttl_days: int = Field(
        400,
        ge=0,
        description="Days rollup and anomaly rows live after their last load; 0 keeps them (dbt).",
    )
    raw_retention_days: int = Field(
        30,
        ge=0,
        description=(
            "Days a raw object is kept; older ones are deleted once their day is compacted to "
            "Parquet and the row counts match. 0 keeps them."
        ),
    )
    clickhouse_cluster: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description=(
            "ClickHouse cluster (remote_servers) the staging DDL and dbt target: Replicated "
            "tables ON CLUSTER, Distributed tables over them. Unset: one server."
        ),
    )
    metrics_dir: Path | None = Field(
        None,
        description=(
            "Directory of the Prometheus textfiles the stuck and quarantine checks write "
            "(node_exporter's textfile collector reads it); unset: `$DAGSTER_HOME/metrics`."
        ),
    )
    lake_start_date: str = Field("2025-01-01", description="First day of the lake partitions.")
    staging_max_lag_minutes: float = Field(
        5, description="Freshness: oldest unloaded raw object may be at most this old."
    )
    rollup_max_lag_minutes: float = Field(
        10, description="Freshness: rollups must have been rebuilt within this many minutes."
    )

    s3: ObjectStoreSettings = Field(default_factory=ObjectStoreSettings)
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)

    @model_validator(mode="after")
    def _production_needs_a_salt(self) -> PipelineSettings:
        if self.dbt_target != PRODUCTION_TARGET:
            return self
        salt = self.user_id_salt.get_secret_value()
        if salt in ("", DEV_USER_ID_SALT):
            raise ValueError(
                "OLLIVE_PIPELINE_USER_ID_SALT must be set to a secret of your own on the "
                "production target: the default is public, so user pseudonyms made with it "
                "can be reversed by anyone with a list of user ids."
            )
        # the pipeline's own credentials: the object store's and ClickHouse's read-write user
        used = {
            "OLLIVE_S3_SECRET_KEY": self.s3.secret_key,
            "OLLIVE_CLICKHOUSE_PASSWORD": self.clickhouse.password,
        }
        public = public_defaults(ObjectStoreSettings) | public_defaults(ClickHouseSettings)
        refused = [n for n, v in used.items() if v.get_secret_value() in ("", public[n])]
        if refused:
            raise ValueError(
                f"{', '.join(refused)} must be set to secrets of your own on the production "
                "target: the values .env.example carries are public (`make prod-env` writes "
                "a .env with generated ones)."
            )
        return self
