"""Tunables of the loader, as a resource so the UI shows them and tests can change them."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field


class LoaderSettings(dg.ConfigurableResource):
    """How far back the sensor looks, how it batches, how hard a load pushes ClickHouse."""

    lookback_hours: int = Field(
        3, ge=1, description="Arrival-hour prefixes re-listed per log type on every tick."
    )
    max_objects_per_run: int = Field(
        1000, ge=1, description="Most objects one load run takes; more become more runs."
    )
    max_runs_per_tick: int = Field(
        20, ge=1, description="Most runs one tick requests; the rest wait for the next tick."
    )
    rerequest_after_s: int = Field(
        600,
        ge=15,
        description=(
            "An object requested but still absent from the manifest after this long (its run "
            "failed for good) is requested again."
        ),
    )
    load_parallelism: int = Field(4, ge=1, description="Concurrent INSERTs within one run.")
    objects_per_insert: int = Field(
        32,
        ge=1,
        description=(
            "Objects of one hour prefix read by one INSERT in sensor loads and replays (fewer "
            "parts, less CPU per row); 1 loads each object alone with its key as deduplication "
            "token."
        ),
    )
    staging_ttl_days: int | None = Field(
        None, description="TTL of staging rows by received_at; None keeps them forever."
    )

    def load_options(self) -> dict[str, Any]:
        """The `load_objects` keywords these settings fix (every load path passes the same)."""
        return {
            "parallelism": self.load_parallelism,
            "ttl_days": self.staging_ttl_days,
            "objects_per_insert": self.objects_per_insert,
        }
