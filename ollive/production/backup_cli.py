"""`ollive backup`: dump the `postgres` profile's metadata databases, and restore them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from ollive.production.postgres_backup import (
    SUFFIX,
    PostgresTarget,
    dump,
    dumps_in,
    restore,
)
from ollive.stack import postgres
from ollive_contract.settings import StackSettings


def stack_target(settings: StackSettings) -> PostgresTarget:
    pg = postgres.server(settings)
    return PostgresTarget(pg.host, pg.port, postgres.USER, pg.password(), postgres.bindir())


def build_app(stack_settings: Callable[[], StackSettings]) -> typer.Typer:
    """The backup commands over the stack whose settings `stack_settings()` gives."""
    app = typer.Typer(help="Backups of the stack's metadata (docs/production.md).")

    @app.command("postgres")
    def dump_postgres(
        out: Annotated[Path | None, typer.Option(help="Folder of the dumps.")] = None,
    ) -> None:
        """pg_dump Dagster's storage, Superset's metadata and the key store, one file each."""
        settings = stack_settings()
        folder = out or settings.state_path / "backups" / "postgres"
        for file in dump(stack_target(settings), postgres.DATABASES, folder):
            typer.echo(f"dumped {file}")

    @app.command("restore-postgres")
    def restore_postgres(
        folder: Annotated[Path, typer.Argument(help="A folder `ollive backup postgres` wrote.")],
        only: Annotated[
            list[str] | None, typer.Option("--only", help="Restore just these databases.")
        ] = None,
    ) -> None:
        """Recreate each dumped database as it was dumped (the current one is dropped; stop
        the services that write it first: Dagster's for `dagster`, Superset for `superset`)."""
        files = [f for f in dumps_in(folder) if not only or f.name.removesuffix(SUFFIX) in only]
        if not files:
            typer.echo(f"no dumps in {folder}", err=True)
            raise typer.Exit(1)
        for database in restore(stack_target(stack_settings()), files):
            typer.echo(f"restored {database}")

    return app
