"""Manage SDK keys: create, list, revoke (`python -m ingest_api.keys`, or `ollive keys` on the
embedded stack, which points it at the stack's key store: SQLite, or Postgres in the `postgres`
profile)."""

from __future__ import annotations

from collections.abc import Callable

import typer

from ingest_api.keys.store import KeyStore, open_key_store
from ollive_contract.settings import IngestSettings


def build_app(open_store: Callable[[], KeyStore]) -> typer.Typer:
    """The CLI over the key store `open_store()` returns (opened when a command runs)."""
    app = typer.Typer(
        help="Create, list and revoke ingest API keys (stored hashed).", no_args_is_help=True
    )

    @app.command()
    def create(
        project: str = typer.Argument(..., help="Project the key writes to."),
        label: str = typer.Option("", help="A note on who holds the key."),
    ) -> None:
        """Create a key; it is printed once and cannot be shown again."""
        key, info = open_store().create(project, label)
        typer.echo(f"key_id: {info.key_id}\nproject: {info.project_id}\nkey: {key}")

    @app.command("list")
    def list_keys() -> None:
        """List keys (ids, projects, states; never the keys)."""
        for k in open_store().list():
            state = f"revoked {k.revoked_at}" if k.revoked_at else "active"
            typer.echo(f"{k.key_id}\t{k.project_id}\t{state}\t{k.created_at}\t{k.label}")

    @app.command()
    def revoke(key_id: str = typer.Argument(..., help="The key_id shown by `list`.")) -> None:
        """Revoke a key; the API refuses it within seconds."""
        if not open_store().revoke(key_id):
            typer.echo(f"no active key {key_id}", err=True)
            raise typer.Exit(1)
        typer.echo(f"revoked {key_id}")

    return app


app = build_app(lambda: open_key_store(IngestSettings()))
