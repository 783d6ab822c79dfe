"""The embedded one-machine stack (`ollive up`): its state directory and local-only services."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from ollive_contract.settings.base import env_config
from ollive_contract.settings.chatbot import ChatbotSettings
from ollive_contract.settings.clickhouse import ClickHouseSettings
from ollive_contract.settings.ingest import IngestSettings
from ollive_contract.settings.object_store import ObjectStoreSettings
from ollive_contract.settings.superset import SupersetSettings


class StackSettings(BaseSettings):
    """Where the embedded stack keeps its state and where its own services listen.

    The services other readers configure (object store, ClickHouse, ingest, Superset, chatbot) are
    nested, each under its own prefix, so the launcher sees the whole configuration at once.
    """

    model_config = env_config("OLLIVE_STACK_")

    state_dir: Path = Field(Path(".ollive"), description="All local state: data, logs, pids.")
    host: str = Field("127.0.0.1", description="Loopback address the embedded services bind.")
    seaweedfs_master_port: int = Field(9333, description="SeaweedFS master port (+10000 gRPC).")
    seaweedfs_volume_port: int = Field(18080, description="SeaweedFS volume port (+10000 gRPC).")
    seaweedfs_filer_port: int = Field(18888, description="SeaweedFS filer port (+10000 gRPC).")
    clickhouse_path: Path | None = Field(
        None,
        description="Data directory of the embedded ClickHouse (default: <state_dir>/clickhouse).",
    )
    clickhouse_access_file: Path | None = Field(
        None,
        description=(
            "TOML file of further users, roles, grants and row policies of the embedded "
            "ClickHouse (docs/clickhouse_server.md); the OLLIVE_CLICKHOUSE_* users always exist."
        ),
    )
    clickhouse_threads: int = Field(
        64, description="Most engine calls the embedded ClickHouse server runs at once."
    )
    clickhouse_memory_ratio: float = Field(
        0.6,
        gt=0,
        le=0.9,
        description=(
            "Share of the machine's memory the embedded ClickHouse may hold (its "
            "max_server_memory_usage_to_ram_ratio); a GROUP BY, sort or join spills to disk past "
            "half of what is free, and queries that reach the cap together fail instead of the "
            "machine running out of memory."
        ),
    )
    dagster_port: int = Field(3000, description="Port of the Dagster webserver.")
    dagster_code_server_port: int = Field(
        4266, description="Port of the Dagster code server the webserver and daemon share (gRPC)."
    )
    profile: Literal["embedded", "postgres"] = Field(
        "embedded",
        description=(
            "`embedded`: SQLite for Dagster, Superset and the key store. `postgres`: the "
            "production configuration: a local PostgreSQL for all three, two ingest replicas."
        ),
    )
    postgres_port: int = Field(15432, description="Port of the `postgres` profile's PostgreSQL.")
    ingest_replica_port: int = Field(
        8001, description="Port of the second ingest replica (`postgres` profile)."
    )

    s3: ObjectStoreSettings = Field(default_factory=ObjectStoreSettings)
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)
    superset: SupersetSettings = Field(default_factory=SupersetSettings)
    chatbot: ChatbotSettings = Field(default_factory=ChatbotSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)

    @cached_property
    def state_path(self) -> Path:
        return self.state_dir.resolve()

    @model_validator(mode="after")
    def _ingest_inside_the_stack(self) -> StackSettings:
        """The ingest API writes to this stack's object store and keeps its files in its state
        directory, unless its own settings say otherwise."""
        paths = {
            "spool_dir": self.state_path / "ingest" / "spool",
            "keys_db": self.state_path / "ingest" / "keys.sqlite",
        }
        update = {k: v for k, v in paths.items() if k not in self.ingest.model_fields_set}
        self.ingest = self.ingest.model_copy(update={**update, "s3": self.s3})
        return self

    @property
    def clickhouse_data_path(self) -> Path:
        return (self.clickhouse_path or self.state_path / "clickhouse").resolve()
