"""Superset as a service of the embedded stack: bootstrap (idempotent) first, then gunicorn."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ollive.stack.health import http_ok
from ollive.stack.process import ServiceSpec, StartError
from ollive_contract.settings import StackSettings
from superset_config.launch import VENV_BIN, bootstrap_command, superset_command


def installed() -> bool:
    """Superset lives in its own venv (`make setup-superset`); the stack runs without it."""
    return (VENV_BIN / "gunicorn").exists()


def _bootstrap(settings: StackSettings, log_file: Path) -> None:
    argv, env = bootstrap_command(settings)
    with log_file.open("ab") as log:
        done = subprocess.run(
            argv, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, timeout=600
        )
    if done.returncode != 0:
        raise StartError(f"superset bootstrap failed (exit {done.returncode}); see {log_file}")


def specs(settings: StackSettings) -> list[ServiceSpec]:
    if not installed():
        return []
    argv, env = superset_command(settings)
    url = f"http://{settings.host}:{settings.superset.port}"
    return [
        ServiceSpec(
            name="superset",
            wave=1,
            argv=argv,
            ports=[settings.superset.port],
            health=lambda: http_ok(f"{url}/health"),
            url=url,
            env=env,
            start_timeout_s=240.0,
            stop_timeout_s=20.0,
            before_start=lambda log_file: _bootstrap(settings, log_file),
        )
    ]
