"""The local Dagster instance for `ollive up`: writes `dagster.yaml` and describes both processes.

SQLite storage under the state directory; a run queue that never runs two dbt builds at once
(tag limit on `ollive/dbt` for the `dbt_build` job, and pool `dbt` limited to 1 for a build
started any other way) nor two runs that write one log type's staging rows (tag limit on
`ollive/log_type` for sensor loads, pool `ollive_load_<log_type>` for loads and replays however
launched); automatic re-execution of runs that die; telemetry off. The caller
(`ollive.stack`) launches the processes with its own environment plus `env` below.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from dagster_project.ingestion.jobs import LOG_TYPE_TAG
from dagster_project.pools import initialize_pools
from dagster_project.settings import PROJECT_ROOT
from dagster_project.transformation.assets import DBT_RUN_TAGS
from ollive.settings import OlliveSettings

CODE_LOCATION = "dagster_project.definitions"
DEQUEUE_INTERVAL_SECONDS = 1


@dataclass(frozen=True)
class DagsterProcess:
    """One process of the Dagster deployment."""

    name: str  # dagster-webserver | dagster-daemon
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # to add to the stack's child environment
    cwd: Path = PROJECT_ROOT
    health_url: str | None = None  # answers 200 when up (the daemon has none)
    grpc_port: int | None = None  # the code server: up when it answers a gRPC ping
    ports: list[int] = field(default_factory=list)


def instance_config(home: Path, max_concurrent_runs: int) -> dict[str, Any]:
    """The contents of `dagster.yaml`."""
    ((tag_key, _),) = DBT_RUN_TAGS.items()
    return {
        "storage": {"sqlite": {"base_dir": str(home / "storage")}},
        "local_artifact_storage": {
            "module": "dagster._core.storage.root",
            "class": "LocalArtifactStorage",
            "config": {"base_dir": str(home)},
        },
        # a queued run waits up to one dequeue interval (Dagster's default: 5 s) before it is
        # launched; each probe of bench/freshness.py crosses the queue twice (load, dbt build)
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {"dequeue_interval_seconds": DEQUEUE_INTERVAL_SECONDS},
        },
        "concurrency": {
            "runs": {
                "max_concurrent_runs": max_concurrent_runs,
                "tag_concurrency_limits": [
                    {"key": tag_key, "limit": 1},
                    # one load run per log type: batched INSERTs rely on it (ingestion/load.py)
                    {"key": LOG_TYPE_TAG, "limit": 1, "value": {"applyLimitPerUniqueValue": True}},
                ],
            },
            # pools `dbt` (dbt assets) and `ollive_load_<log_type>` (a log type's staging asset
            # and replay op): one run holding a pool at a time, however it was launched
            "pools": {"default_limit": 1, "granularity": "run"},
        },
        # a run whose process died (OOM, kill -9, a reboot) is re-executed; loads are idempotent
        "run_retries": {"enabled": True, "max_retries": 2},
        "run_monitoring": {
            "enabled": True,
            "start_timeout_seconds": 180,
            "poll_interval_seconds": 30,
        },
        "sensors": {"use_threads": True, "num_workers": 2},
        "schedules": {"use_threads": True, "num_workers": 1},
        "telemetry": {"enabled": False},
        "nux": {"enabled": False},
    }


def write_dagster_home(home: Path, max_concurrent_runs: int = 4) -> Path:
    """Create DAGSTER_HOME with its `dagster.yaml` (rewritten each time: settings may change)."""
    home.mkdir(parents=True, exist_ok=True)
    config_file = home / "dagster.yaml"
    config_file.write_text(
        "# Written by dagster_project/dagster_home.py on every `ollive up`; edit that instead.\n"
        + yaml.safe_dump(instance_config(home, max_concurrent_runs), sort_keys=False)
    )
    return config_file


def _bin(name: str) -> str:
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else (shutil.which(name) or name)


def write_workspace(home: Path, host: str, port: int) -> Path:
    """`workspace.yaml`: the webserver and daemon load the code location from one code server.

    Started with `-m`, each of them spawns its own code server, and the daemon replaces its
    own every 60 s (`RELOAD_WORKSPACE_INTERVAL`): a full import of the definitions, ~7 CPU-s
    here, while sensors and launches wait. One long-lived `dagster code-server` costs that once.
    """
    workspace = home / "workspace.yaml"
    location = {"host": host, "port": port, "location_name": CODE_LOCATION}
    workspace.write_text(
        "# Written by dagster_project/dagster_home.py on every `ollive up`; edit that instead.\n"
        + yaml.safe_dump({"load_from": [{"grpc_server": location}]}, sort_keys=False)
    )
    return workspace


def initialize_instance(settings: OlliveSettings) -> None:
    """Store the pool limits before any run is queued (see `dagster_project/pools.py`); run
    when the stack starts, after `dagster_processes` wrote `dagster.yaml`."""
    with dg.DagsterInstance.from_config(str(settings.state_path / "dagster")) as instance:
        initialize_pools(instance)


def dagster_processes(
    settings: OlliveSettings, *, max_concurrent_runs: int = 4
) -> list[DagsterProcess]:
    """Write `<state_dir>/dagster/` (dagster.yaml, workspace.yaml) and return the code server,
    webserver and daemon to start, in that order."""
    home = settings.state_path / "dagster"
    write_dagster_home(home, max_concurrent_runs)
    host, code_port = settings.host, settings.dagster_code_server_port
    workspace = str(write_workspace(home, host, code_port))
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "DAGSTER_HOME": str(home),
        # dagster-dbt shells out to `dbt`; runs are subprocesses of the code server
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
    port = settings.dagster_port
    code_server = [_bin("dagster"), "code-server", "start", "-h", host, "-p", str(code_port)]
    code_server += ["-m", CODE_LOCATION, "--location-name", CODE_LOCATION]
    return [
        DagsterProcess(
            name="dagster-code-server",
            argv=code_server,
            env=env,
            grpc_port=code_port,
            ports=[code_port],
        ),
        DagsterProcess(
            name="dagster-webserver",
            argv=[_bin("dagster-webserver"), "-h", host, "-p", str(port), "-w", workspace],
            env=env,
            health_url=f"http://{host}:{port}/server_info",
            ports=[port],
        ),
        DagsterProcess(
            name="dagster-daemon",
            argv=[_bin("dagster-daemon"), "run", "-w", workspace],
            env=env,
        ),
    ]
