"""Tunables of the loader, as a resource so the UI shows them and tests can change them."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field

from ollive_contract.settings import PipelineSettings

# Defaults are the registry's (OLLIVE_PIPELINE_LOADER_*), written once there.
_DEFAULTS = PipelineSettings.model_fields


class LoaderSettings(dg.ConfigurableResource):
    """How far back the sensor looks, how it batches, how hard a load pushes ClickHouse."""

    lookback_hours: int = Field(
        _DEFAULTS["loader_lookback_hours"].default,
        ge=1,
        description=_DEFAULTS["loader_lookback_hours"].description,
    )
    max_objects_per_run: int = Field(
        _DEFAULTS["loader_max_objects_per_run"].default,
        ge=1,
        description=_DEFAULTS["loader_max_objects_per_run"].description,
    )
    max_runs_per_tick: int = Field(
        20, ge=1, description="Most runs one tick requests; the rest wait for the next tick."
    )
    poll_seconds: float = Field(
        4.0,
        ge=0,
        le=4.5,
        description=(
            "How long an evaluation that found nothing to load keeps looking for new objects "
            "(every 0.5 s) before it gives up the tick; below the daemon's 5 s sensor loop."
        ),
    )
    rerequest_after_s: int = Field(
        600,
        ge=15,
        description=(
            "An object requested but still absent from the manifest after this long (its run "
            "failed for good) is requested again."
        ),
    )
    load_parallelism: int = Field(
        _DEFAULTS["loader_parallelism"].default,
        ge=1,
        description=_DEFAULTS["loader_parallelism"].description,
    )
    objects_per_insert: int = Field(
        _DEFAULTS["loader_objects_per_insert"].default,
        ge=1,
        description=_DEFAULTS["loader_objects_per_insert"].description,
    )
    staging_ttl_days: int | None = Field(
        _DEFAULTS["staging_ttl_days"].default, description=_DEFAULTS["staging_ttl_days"].description
    )

    metrics_dir: str | None = Field(None, description=_DEFAULTS["metrics_dir"].description)

    def load_options(self) -> dict[str, Any]:
        """The `load_objects` keywords these settings fix (every load path passes the same)."""
        return {
            "parallelism": self.load_parallelism,
            "ttl_days": self.staging_ttl_days,
            "objects_per_insert": self.objects_per_insert,
        }
