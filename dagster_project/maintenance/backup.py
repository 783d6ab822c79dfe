"""ClickHouse `BACKUP` / `RESTORE` of the warehouse (staging, manifest, marts) to the object store.

The server writes the backup itself, straight into the bucket (`S3(url, key, secret)`): the
embedded chDB engine does this as a ClickHouse server does, so nothing passes through Python.
A backup is a folder under `backups/clickhouse/<name>/`; `RESTORE` refuses a table that
exists, so a restore goes into an empty warehouse (drop it first, see `warehouse.py`).
"""

import re
from datetime import UTC, datetime
from typing import Any

import dagster as dg
from pydantic import Field

from dagster_project.resources.clickhouse import ClickHouseResource
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.tables import MARTS_DATABASE, STAGING_DATABASE

BACKUP_PREFIX = "backups/clickhouse"
DATABASES = (STAGING_DATABASE, MARTS_DATABASE)
NOT_IN_BACKUP = 605  # BACKUP_ENTRY_NOT_FOUND: the backup has no such database
_NAME = re.compile(r"^[0-9A-Za-z._-]+$")


def backup_name(now: datetime | None = None) -> str:
    """A sortable name: the UTC time of the backup."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def backup_key(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"a backup name is letters, digits, '.', '_' and '-': {name!r}")
    return f"{BACKUP_PREFIX}/{name}/"


def _literal_destination(store: ObjectStoreResource, name: str) -> str:
    def quote(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    url = store.clickhouse_url(backup_key(name))
    return f"S3({quote(url)}, {quote(store.access_key)}, {quote(store.secret_key)})"


def existing_databases(client: Any) -> list[str]:
    result = client.query(
        "SELECT name FROM system.databases WHERE name IN {names:Array(String)} ORDER BY name",
        parameters={"names": list(DATABASES)},
    )
    return [row[0] for row in result.result_rows]


def backup_warehouse(client: Any, store: ObjectStoreResource, name: str) -> dict[str, Any]:
    """`BACKUP DATABASE … TO S3(…)` of every warehouse database that exists; returns the
    backup's id, status and size as the server reports them."""
    databases = existing_databases(client)
    if not databases:
        raise RuntimeError("nothing to back up: no warehouse database exists")
    what = ", ".join(f"DATABASE {db}" for db in databases)
    # BACKUP takes no query parameters; the server hides S3 secrets in its logs
    result = client.query(f"BACKUP {what} TO {_literal_destination(store, name)}")
    backup_id, status = result.result_rows[0][:2]
    info = client.query(
        "SELECT total_size, num_files FROM system.backups WHERE id = {id:String}",
        parameters={"id": str(backup_id)},
    ).result_rows
    size, files = info[0] if info else (0, 0)
    return {
        "name": name,
        "status": str(status),
        "databases": databases,
        "bytes": int(size),
        "files": int(files),
        "url": store.clickhouse_url(backup_key(name)),
    }


def restore_warehouse(client: Any, store: ObjectStoreResource, name: str) -> str:
    """`RESTORE` every warehouse database the backup holds (a backup taken before the first dbt
    build has no marts); the warehouse must not have them."""
    present = existing_databases(client)
    if present:
        raise RuntimeError(f"restore into an empty warehouse: drop {present} first")
    restored = []
    for database in DATABASES:
        try:
            result = client.query(
                f"RESTORE DATABASE {database} FROM {_literal_destination(store, name)} "
                "SETTINGS allow_non_empty_tables = 0"
            )
        except Exception as exc:
            if f"Code: {NOT_IN_BACKUP}." in str(exc):
                continue
            raise
        restored.append(str(result.result_rows[0][1]))
    if not restored:
        raise RuntimeError(f"backup {name} holds no warehouse database")
    return restored[0] if len(set(restored)) == 1 else ", ".join(restored)


def list_backups(store: ObjectStoreResource) -> list[str]:
    """Names of the backups in the bucket, oldest first."""
    s3 = store.client()
    names = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=store.bucket, Prefix=f"{BACKUP_PREFIX}/", Delimiter="/"
    ):
        names += [
            c["Prefix"].rstrip("/").rsplit("/", 1)[1] for c in page.get("CommonPrefixes") or ()
        ]
    return sorted(names)


class BackupConfig(dg.Config):
    """Which backup to write (empty: named after the current UTC time)."""

    name: str = Field("", description="Backup name under backups/clickhouse/; empty: the time.")


@dg.op(tags={"ollive/stage": "maintenance"})
def backup_clickhouse(
    context: dg.OpExecutionContext,
    config: BackupConfig,
    clickhouse: ClickHouseResource,
    object_store: ObjectStoreResource,
) -> dg.Output[str]:
    """Backs the warehouse up into the bucket with ClickHouse's own BACKUP."""
    done = backup_warehouse(clickhouse.get_client(), object_store, config.name or backup_name())
    context.log.info(f"backup {done['name']}: {done['status']}, {done['bytes']} bytes")
    return dg.Output(
        done["name"],
        metadata={
            "backup": done["name"],
            "status": done["status"],
            "bytes": done["bytes"],
            "files": done["files"],
            "databases": ", ".join(done["databases"]),
        },
    )


@dg.job(name="backup_clickhouse_job", tags={"ollive/stage": "maintenance"})
def backup_clickhouse_job() -> None:
    """Backs up staging, the load manifest and the marts to backups/clickhouse/<time>/."""
    backup_clickhouse()


backup_schedule = dg.ScheduleDefinition(
    name="nightly_clickhouse_backup",
    job=backup_clickhouse_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    # each run is a full backup: an operator turns it on where the bucket has room for them
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="A full ClickHouse backup of the warehouse every night.",
)
