"""SDK keys: hashed at rest, mapped to a project, revocable, demo key provisioned idempotently."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from ingest_api.api.dependencies import authenticated_project
from ingest_api.keys.databases import SqliteKeyDatabase
from ingest_api.keys.store import KeyStore, open_key_store
from ollive_contract.settings import IngestSettings


def test_create_check_revoke(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys.sqlite", refresh_seconds=0)
    key, info = keys.create("acme", "ci")
    assert key.startswith("olk_") and len(key) > 40
    assert keys.project_for(key) == "acme"
    assert keys.project_for(key + "x") is None
    assert keys.project_for(None) is None and keys.project_for("") is None
    assert key.encode() not in (tmp_path / "keys.sqlite").read_bytes()
    assert [k.key_id for k in keys.list()] == [info.key_id]
    assert keys.revoke(info.key_id)
    assert keys.project_for(key) is None
    assert not keys.revoke(info.key_id)


def test_add_is_idempotent_and_keeps_revocation(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys.sqlite", refresh_seconds=0)
    first = keys.add("olk_demo_local_only_key", "demo")
    assert keys.add("olk_demo_local_only_key", "demo") == first
    assert len(keys.list()) == 1
    keys.revoke(first.key_id)
    keys.add("olk_demo_local_only_key", "demo")
    assert keys.project_for("olk_demo_local_only_key") is None


def test_revocation_seen_by_another_process_view(tmp_path: Path) -> None:
    api = KeyStore(tmp_path / "keys.sqlite", refresh_seconds=0)
    cli = KeyStore(tmp_path / "keys.sqlite")
    key, info = cli.create("acme")
    assert api.project_for(key) == "acme"
    cli.revoke(info.key_id)
    assert api.project_for(key) is None


def test_the_store_picks_postgres_only_when_a_url_is_set(tmp_path: Path) -> None:
    store = open_key_store(IngestSettings(keys_db=tmp_path / "keys.sqlite"))
    assert isinstance(store.db, SqliteKeyDatabase) and store.db.path == tmp_path / "keys.sqlite"


def test_an_unreachable_store_keeps_the_last_loaded_keys(tmp_path: Path) -> None:
    cli = KeyStore(tmp_path / "keys.sqlite")
    key, _ = cli.create("acme")
    api = KeyStore(tmp_path / "keys.sqlite", refresh_seconds=0)
    assert api.project_for(key) == "acme"
    # the database goes away (a shared store's outage): keys loaded before keep working
    api.db.path = tmp_path / "gone" / "keys.sqlite"
    assert api.project_for(key) == "acme"
    assert api.project_for(key + "x") is None
    # a replica that never loaded its keys refuses to guess
    fresh = KeyStore(tmp_path / "keys.sqlite", refresh_seconds=0)
    fresh.db.path = tmp_path / "gone" / "keys.sqlite"
    with pytest.raises(sqlite3.OperationalError):
        fresh.project_for(key)


class SlowDatabase(SqliteKeyDatabase):
    """A shared store that answers, slowly (a loaded or hung Postgres)."""

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        time.sleep(0.5)
        return super().query(sql, params)


def test_a_slow_key_reload_does_not_hold_the_event_loop(tmp_path: Path) -> None:
    """The API reloads a stale key map on a worker thread: other coroutines run meanwhile."""
    cli = KeyStore(tmp_path / "keys.sqlite")
    key, _ = cli.create("acme")
    state = SimpleNamespace(keys=KeyStore(SlowDatabase(tmp_path / "keys.sqlite"), 60))
    request = SimpleNamespace(headers={"authorization": f"Bearer {key}"})

    async def main() -> tuple[str, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        project = await authenticated_project(request, state)
        task.cancel()
        return project, ticks

    project, ticks = asyncio.run(main())
    assert project == "acme"
    assert ticks >= 20  # the loop kept turning during the 0.5 s reload
    assert not state.keys.stale()
