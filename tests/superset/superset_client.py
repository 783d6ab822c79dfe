"""Driving the stack's Superset from tests: the bootstrap, an authenticated API client, and
headless Chromium (Superset's own virtualenv; `make setup` installs it, the tests install nothing).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from superset_config.launch import VENV_BIN, bootstrap_command

RENDER_SCRIPT = Path(__file__).with_name("render_dashboards.py")


def require_venv() -> None:
    if not (VENV_BIN / "superset").exists():
        raise RuntimeError(
            "Superset's virtualenv is missing: run `make setup` "
            "(or `bash superset_config/install.sh`)"
        )


def run_bootstrap(settings: Any, log: Path) -> float:
    """Run the bootstrap once; returns its duration in seconds."""
    argv, env = bootstrap_command(settings)
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("ab") as out:
        subprocess.run(
            argv,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=600,
        )
    return time.monotonic() - started


@dataclass
class Superset:
    """A running Superset and the admin's credentials."""

    settings: Any
    url: str
    user: str
    password: str
    env: dict[str, str]

    def api(self) -> httpx.Client:
        """A client logged in through the REST API, with the CSRF token POSTs need."""
        client = httpx.Client(base_url=self.url, timeout=120)
        login = client.post(
            "/api/v1/security/login",
            json={
                "username": self.user,
                "password": self.password,
                "provider": "db",
                "refresh": True,
            },
        )
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        csrf = client.get("/api/v1/security/csrf_token/").json()["result"]
        client.headers.update({"X-CSRFToken": csrf, "Referer": self.url})
        return client

    def render(self, slugs: list[str], out_dir: Path) -> dict:
        """Headless Chromium renders the dashboards; each chart: data, error, empty or loading."""
        done = subprocess.run(
            [
                str(VENV_BIN / "python"),
                str(RENDER_SCRIPT),
                self.url,
                self.user,
                self.password,
                str(out_dir),
                *slugs,
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])
