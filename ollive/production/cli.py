"""`ollive prod`: write and check the compose stack's `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ollive.production import env_file
from ollive.production.secrets import refused

app = typer.Typer(help="The production-like compose stack (docs/production.md).")
EnvPath = Annotated[Path, typer.Option("--env-file", help="The env file compose reads.")]


@app.command()
def init(path: EnvPath = Path(".env")) -> None:
    """Write a `.env` for docker-compose.yml with generated secrets (never printed)."""
    if path.exists():
        typer.echo(f"{path} exists; keeping it (delete it first to generate new secrets)", err=True)
        raise typer.Exit(1)
    env_file.write(path, env_file.render())
    typer.echo(f"wrote {path} (mode 600); `docker compose up -d --build` starts the stack")


@app.command()
def check(path: EnvPath = Path(".env")) -> None:
    """Refuse a `.env` that lacks a variable compose requires or holds a public/weak secret."""
    env = env_file.read(path)
    missing = [v.name for v in env_file.compose_variables() if v.required and not env.get(v.name)]
    required = {v.name for v in env_file.compose_variables() if v.required}
    reasons = [f"{name} is not set" for name in missing]
    reasons += refused({k: v for k, v in env.items() if k in required and v})
    reasons += [
        f"{name}={env[name]} is this machine's loopback, which containers cannot reach"
        for name in ("OLLIVE_S3_ENDPOINT", "OLLIVE_S3_CLICKHOUSE_ENDPOINT")
        if any(host in env.get(name, "") for host in ("//127.", "//localhost"))
    ]
    if reasons:
        typer.echo("\n".join(reasons), err=True)
        raise typer.Exit(1)
    typer.echo(f"{path}: every secret compose requires is set and none is public")
