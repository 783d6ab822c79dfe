"""`ollive backup clickhouse` / `restore-clickhouse`: the warehouse to and from the bucket with
ClickHouse's own BACKUP and RESTORE (dagster_project/maintenance/backup.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from ollive_contract.settings import PipelineSettings

# The commands import Dagster's side when they run: `ollive` itself must start fast.


def add_clickhouse_commands(app: typer.Typer) -> None:
    """Adds the ClickHouse commands to the `ollive backup` group."""

    @app.command("clickhouse")
    def backup_clickhouse(
        name: Annotated[
            str | None, typer.Option(help="Backup name (default: the UTC time).")
        ] = None,
    ) -> None:
        """BACKUP staging, the load manifest and the marts to backups/clickhouse/<name>/."""
        from dagster_project.maintenance.backup import backup_name, backup_warehouse
        from ollive.rebuild import resources

        res = resources(PipelineSettings())
        done = backup_warehouse(
            res["clickhouse"].get_client(), res["object_store"], name or backup_name()
        )
        typer.echo(
            f"{done['status']}: {done['name']} ({done['bytes']} bytes, {done['files']} files)"
        )

    @app.command("list-clickhouse")
    def list_clickhouse() -> None:
        """The ClickHouse backups in the bucket, oldest first."""
        from dagster_project.maintenance.backup import list_backups
        from ollive.rebuild import resources

        for name in list_backups(resources(PipelineSettings())["object_store"]):
            typer.echo(name)

    @app.command("restore-clickhouse")
    def restore_clickhouse(
        name: Annotated[str, typer.Argument(help="A backup `ollive backup clickhouse` wrote.")],
        replace: Annotated[
            bool, typer.Option("--replace", help="Drop the current warehouse first.")
        ] = False,
    ) -> None:
        """RESTORE the warehouse from a backup (into an empty warehouse, or with --replace)."""
        from dagster_project.maintenance.backup import restore_warehouse
        from dagster_project.maintenance.warehouse import drop_warehouse
        from ollive.rebuild import resources

        res = resources(PipelineSettings())
        client = res["clickhouse"].get_client()
        if replace:
            drop_warehouse(client)
        typer.echo(f"{restore_warehouse(client, res['object_store'], name)}: {name}")
