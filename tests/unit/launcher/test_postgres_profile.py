"""The `postgres` profile's services as the supervisor gets them (nothing is started here)."""

from __future__ import annotations

import stat
from pathlib import Path

import yaml

from ollive.stack import postgres
from ollive.stack.dagster_home import dagster_processes
from ollive.stack.services import all_services
from ollive_contract.settings import StackSettings


def _by_name(settings: StackSettings) -> dict:
    return {spec.name: spec for spec in all_services(settings)}


def test_the_embedded_default_has_no_postgres_and_one_replica(tmp_path: Path) -> None:
    specs = _by_name(StackSettings(state_dir=tmp_path))
    assert "postgres" not in specs and "ingest_api_2" not in specs
    assert "OLLIVE_INGEST_KEYS_DATABASE_URL" not in specs["ingest_api"].env
    assert not (tmp_path / "postgres").exists()
    config = yaml.safe_load((tmp_path / "dagster" / "dagster.yaml").read_text())
    assert "sqlite" in config["storage"]


def test_postgres_first_then_two_replicas_sharing_one_key_store(tmp_path: Path) -> None:
    settings = StackSettings(state_dir=tmp_path, profile="postgres", ingest_replica_port=8123)
    specs = _by_name(settings)
    assert next(iter(specs)) == "postgres" and specs["postgres"].wave < specs["ingest_api"].wave
    one, two = specs["ingest_api"].env, specs["ingest_api_2"].env
    url = one["OLLIVE_INGEST_KEYS_DATABASE_URL"]
    assert url == two["OLLIVE_INGEST_KEYS_DATABASE_URL"]
    assert url.startswith("postgresql://ollive:") and url.endswith(f":15432/{postgres.KEYS_DB}")
    assert one["OLLIVE_S3_BUCKET"] == two["OLLIVE_S3_BUCKET"]
    assert (one["OLLIVE_INGEST_PORT"], two["OLLIVE_INGEST_PORT"]) == ("8000", "8123")
    assert one["OLLIVE_INGEST_SPOOL_DIR"] != two["OLLIVE_INGEST_SPOOL_DIR"]
    assert specs["ingest_api_2"].ports == [8123]


def test_the_password_is_generated_once_private_and_only_in_environments(
    tmp_path: Path,
) -> None:
    settings = StackSettings(state_dir=tmp_path, profile="postgres")
    pg = postgres.server(settings)
    first = pg.password()
    assert len(first) >= 32 and pg.password() == first
    assert stat.S_IMODE(pg.password_file.stat().st_mode) == 0o600
    spec = postgres.spec(settings)
    assert first not in " ".join(spec.argv)
    assert "listen_addresses=127.0.0.1" in spec.argv and "unix_socket_directories=" in spec.argv


def test_dagster_storage_is_the_profiles_postgres_with_the_password_from_env(
    tmp_path: Path,
) -> None:
    settings = StackSettings(state_dir=tmp_path, profile="postgres", postgres_port=15999)
    processes = dagster_processes(settings)
    text = (tmp_path / "dagster" / "dagster.yaml").read_text()
    db = yaml.safe_load(text)["storage"]["postgres"]["postgres_db"]
    assert db["port"] == 15999 and db["db_name"] == postgres.DAGSTER_DB
    assert db["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    password = postgres.server(settings).password()
    assert password not in text
    assert all(p.env["DAGSTER_PG_PASSWORD"] == password for p in processes)


def test_as_root_the_server_runs_in_a_user_namespace(monkeypatch) -> None:
    monkeypatch.setattr(postgres.os, "geteuid", lambda: 0)
    argv = postgres.unprivileged(["postgres", "-D", "x"])
    assert argv[:2] == ["unshare", "--user"] and argv[-3:] == ["postgres", "-D", "x"]
    monkeypatch.setattr(postgres.os, "geteuid", lambda: 1000)
    assert postgres.unprivileged(["postgres"]) == ["postgres"]
