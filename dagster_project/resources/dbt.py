"""dagster-dbt's CLI resource without two start-up costs that our builds never use.

Before every command, `DbtCliResource.cli` runs `dbt --version` in a subprocess to learn which
CLI it drives, and builds a dbt-core adapter in-process (profile, project and all 570 macros)
whose only users are `fetch_row_counts()` and `fetch_column_metadata()`. On 2 cores the two
took 12.6 s of a 33 s `dbt_build` step (`bench/freshness.py`, docs/dagster.md). The
executable is the dbt of this virtualenv, so its version is the installed dbt-core's; and the
builds fetch neither row counts nor column metadata, so they need no adapter. dagster-dbt
already treats the adapter as optional: when building it fails, it logs and runs without one.
"""

from __future__ import annotations

import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource
from packaging import version
from pydantic import Field


class DbtBuildResource(DbtCliResource):
    with_adapter: bool = Field(
        default=False,
        description=(
            "Build dbt-core's adapter in-process before each command. Only"
            " `fetch_row_counts()` and `fetch_column_metadata()` need it; it costs seconds."
        ),
    )

    @cached_property
    def _cli_version(self) -> version.Version:
        """The installed dbt-core's version when the executable is this venv's `dbt`; otherwise
        dagster-dbt's own `dbt --version` probe."""
        if Path(self.dbt_executable).parent.resolve() == Path(sys.executable).parent.resolve():
            return version.parse(installed_version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Any) -> Any:
        return super()._initialize_dbt_core_adapter(args) if self.with_adapter else None
