"""A real Superset for tests: bootstrap, gunicorn on a free port, an authenticated API client.

Started with the same `superset_config.launch` commands the stack supervisor uses, from
Superset's own virtualenv (`make setup` installs it; the tests install nothing).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from superset_config.launch import VENV_BIN, bootstrap_command, superset_command

RENDER_SCRIPT = Path(__file__).with_name("render_dashboards.py")


def require_venv() -> None:
    if not (VENV_BIN / "superset").exists():
        raise RuntimeError(
            "Superset's virtualenv is missing: run `make setup` (or `bash superset_config/install.sh`)"
        )


def run_bootstrap(settings: Any, log: Path) -> float:
    """Run the bootstrap once; returns its duration in seconds."""
    argv, env = bootstrap_command(settings)
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
    process: subprocess.Popen | None = field(default=None, repr=False)

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
        """Headless Chromium renders the dashboards; per chart 'data' | 'error' | 'empty' | 'loading'."""
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

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def start_superset(settings: Any, log_dir: Path, timeout_s: float = 300) -> Superset:
    """Bootstrap, then serve with one gunicorn worker; waits for GET /health."""
    require_venv()
    log_dir.mkdir(parents=True, exist_ok=True)
    run_bootstrap(settings, log_dir / "bootstrap.log")
    argv, env = superset_command(settings, workers=1, threads=4)
    log = (log_dir / "superset.log").open("ab")
    process = subprocess.Popen(
        argv,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://{settings.host}:{settings.superset_port}"
    superset = Superset(
        settings,
        url,
        env["OLLIVE_SUPERSET_ADMIN_USER"],
        env["OLLIVE_SUPERSET_ADMIN_PASSWORD"],
        env,
        process,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"superset exited with {process.returncode}; see {log.name}")
        try:
            if httpx.get(f"{url}/health", timeout=2).text == "OK":
                return superset
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    superset.stop()
    raise TimeoutError("superset did not answer /health")
