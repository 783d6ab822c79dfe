"""The stuck and quarantine checks' findings as Prometheus gauges, in textfiles.

The ingest API's `/metrics` is the intake's own and never reads the warehouse; what the loader
left behind is known only to these checks, which run in Dagster's processes and have no port to
serve. Prometheus's answer for such jobs is the textfile collector: each check writes its gauge
to a `.prom` file (atomically, `write_to_textfile`), node_exporter (or any scraper of the
directory) exports the directory, and an alert on `ollive_objects_stuck > 0` or
`ollive_objects_quarantined > 0` fires without anyone opening Dagster. One file per gauge and
log type, so checks running at the same time never write the same file.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

GAUGES = {
    "ollive_objects_stuck": "Raw objects older than the loader's lookback and never loaded.",
    "ollive_objects_stuck_oldest_age_seconds": "Age of the oldest stuck raw object (0: none).",
    "ollive_objects_quarantined": "Raw objects the loader quarantined, still in the store.",
}


def metrics_dir(configured: str | None) -> Path | None:
    """The configured directory, else `$DAGSTER_HOME/metrics`; None without either."""
    if configured:
        return Path(configured)
    home = os.environ.get("DAGSTER_HOME")
    return Path(home) / "metrics" if home else None


def publish(directory: Path | None, name: str, log_type: str, value: float) -> Path | None:
    """Write gauge `name` for `log_type` to `<directory>/<name>_<log_type>.prom`."""
    if directory is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    registry = CollectorRegistry()
    Gauge(name, GAUGES[name], ["log_type"], registry=registry).labels(log_type).set(value)
    path = directory / f"{name}_{log_type}.prom"
    write_to_textfile(str(path), registry)
    return path
