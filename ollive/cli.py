"""`ollive`: run the embedded stack on this machine (up, down, status, logs, demo)."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Annotated, get_args

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from ingest_api.keys.cli import build_app as build_keys_app
from ingest_api.keys.store import open_key_store
from ollive.backup import add_clickhouse_commands
from ollive.production.backup_cli import build_app as build_backup_app
from ollive.production.cli import app as prod_app
from ollive.stack import postgres
from ollive.stack.ports import PortInUseError
from ollive.stack.process import StartError
from ollive.stack.services import all_services
from ollive.stack.supervisor import Supervisor
from ollive_contract.settings import StackSettings

app = typer.Typer(help="Ollive: LLM observability pipeline, embedded on one machine.")


def _settings(profile: str | None = None) -> StackSettings:
    """The stack's settings; the profile from `--profile`, else `postgres` while that profile's
    server runs in this state directory (so `keys`, `status`, `backup` reach what `up` started,
    whatever `.env` says), else `OLLIVE_STACK_PROFILE`."""
    try:
        settings = StackSettings(**({"profile": profile} if profile else {}))
    except ValidationError as exc:
        bad = next((e for e in exc.errors() if e["loc"] == ("profile",)), None)
        if bad is None:
            raise
        valid = ", ".join(get_args(StackSettings.model_fields["profile"].annotation))
        typer.echo(f"Error: unknown profile {bad['input']!r}; valid profiles: {valid}", err=True)
        raise typer.Exit(2) from None
    running = Supervisor(settings.state_path, settings.host).running("postgres")
    if profile is None and running and settings.profile != "postgres":
        settings = settings.model_copy(update={"profile": "postgres"})
    return settings


# SDK keys in the stack's own key store (<state_dir>/ingest/keys.sqlite, or the `postgres`
# profile's database): every running ingest replica sees a key created or revoked here within
# seconds.
app.add_typer(
    build_keys_app(lambda: open_key_store(postgres.with_postgres(_settings()).ingest)),
    name="keys",
)
app.add_typer(prod_app, name="prod")
# Postgres dumps, and the ClickHouse warehouse to and from the bucket (docs/retention.md)
backup_app = build_backup_app(_settings)
add_clickhouse_commands(backup_app)
app.add_typer(backup_app, name="backup")
# wide enough for the demo's rollup table even when output is piped to a log
console = Console(width=max(Console().width, 120))


def _context(profile: str | None = None) -> tuple[StackSettings, Supervisor]:
    settings = _settings(profile)
    return settings, Supervisor(settings.state_path, settings.host)


def _say(line: str) -> None:
    console.print(line, highlight=False)


def start_stack(settings: StackSettings, supervisor: Supervisor, only: list[str] | None) -> None:
    specs = [s for s in all_services(settings) if not only or s.name in only]
    if only and len(specs) != len(only):
        known = ", ".join(s.name for s in all_services(settings))
        raise typer.BadParameter(f"unknown service in {only}; known: {known}")
    started = time.monotonic()
    _say(f"Starting the embedded stack (state in {settings.state_path})")
    try:
        supervisor.up(specs, report=_say)
    except (PortInUseError, StartError) as err:
        console.print(f"[red]error:[/red] {err}", highlight=False)
        raise typer.Exit(1) from err
    _say(
        f"Stack up in {time.monotonic() - started:.1f}s. "
        "`ollive status` lists it, `ollive down` stops it."
    )


@app.command()
def up(
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Start just these services.")
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            help="`embedded` (SQLite; the default) or `postgres` (PostgreSQL for Dagster, "
            "Superset and the key store, two ingest replicas; docs/production.md)."
        ),
    ] = None,
) -> None:
    """Start every service of the stack on loopback, wait until each is healthy, print URLs."""
    settings, supervisor = _context(profile)
    start_stack(settings, supervisor, only)


@app.command()
def down() -> None:
    """Stop exactly the processes `ollive up` started."""
    _, supervisor = _context()
    stopped = supervisor.down(report=_say)
    _say("Stopped." if stopped else "Nothing was running.")


@app.command()
def status() -> None:
    """Which services run, their pids and URLs."""
    settings, supervisor = _context()
    table = Table("service", "state", "pid", "url", "log")
    rows = supervisor.status(all_services(settings))
    for row in rows:
        state = "[green]up[/green]" if row.running else "[dim]down[/dim]"
        table.add_row(row.name, state, str(row.pid or ""), row.url, row.log_file)
    console.print(table)
    if not all(row.running for row in rows):
        raise typer.Exit(3)


@app.command()
def logs(
    service: Annotated[str, typer.Argument(help="Service name (see `ollive status`).")],
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing.")] = False,
    lines: Annotated[int, typer.Option("--lines", "-n", help="Lines to show.")] = 50,
) -> None:
    """Print a service's log."""
    settings, supervisor = _context()
    log_file = supervisor.log_dir / f"{service}.log"
    if not log_file.exists():
        known = ", ".join(s.name for s in all_services(settings))
        console.print(f"[red]error:[/red] no log for {service!r}; services: {known}")
        raise typer.Exit(1)
    argv = ["tail", f"-n{lines}", *(["-F"] if follow else []), str(log_file)]
    raise typer.Exit(subprocess.call(argv))


@app.command()
def demo(
    conversations: Annotated[
        int, typer.Option(help="Chat conversations the simulated chatbot holds (1-4 turns each).")
    ] = 100,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the rollup.")] = 600.0,
    history_days: Annotated[
        float, typer.Option(help="Days of simulated history sent first (7 for a week, 0: none).")
    ] = 1.0,
    summariser_days: Annotated[
        float,
        typer.Option(
            help="Days of the summariser's steady calls, with the incidents in the last day "
            "(8: a week of baseline for the anomaly detector; 0: none)."
        ),
    ] = 8.0,
) -> None:
    """Start the stack, send traffic through the SDK, wait for the rollup, print it and the
    anomalies found."""
    from ollive.demo import run_demo

    settings, supervisor = _context()
    start_stack(settings, supervisor, None)
    result = run_demo(
        settings,
        conversations,
        timeout_s=timeout,
        console=console,
        history_days=history_days,
        summariser_days=summariser_days,
    )
    raise typer.Exit(0 if result else 1)


@app.command()
def rebuild(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before dropping it.")] = False,
) -> None:
    """Drop the warehouse, replay raw/ and rebuild dbt; exit 1 if any fact differs."""
    from ollive.rebuild import rebuild_command

    rebuild_command(yes)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":
    sys.exit(app())
