"""`ollive prod init` / `check` and the init service's first start: strong secrets, public ones
refused, the chatbot's key minted idempotently."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest_api.keys.store import KeyStore
from ollive.cli import app
from ollive.production import env_file, first_start
from ollive.production.secrets import public_values, refused
from ollive_contract.settings import IngestSettings, ObjectStoreSettings
from tests.unit.production.compose import ROOT

runner = CliRunner()


def test_init_writes_strong_secrets_once_and_never_prints_them(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    done = runner.invoke(app, ["prod", "init", "--env-file", str(path)])
    assert done.exit_code == 0, done.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    env = env_file.read(path)
    required = [v.name for v in env_file.compose_variables() if v.required]
    assert all(env[name] for name in required)
    assert refused({n: env[n] for n in required}) == []
    assert not any(env[n] in done.output for n in required)
    assert env["COMPOSE_PROFILES"] == "seaweedfs"

    again = runner.invoke(app, ["prod", "init", "--env-file", str(path)])
    assert again.exit_code == 1 and env_file.read(path) == env, "never overwrites secrets"
    assert runner.invoke(app, ["prod", "check", "--env-file", str(path)]).exit_code == 0
    assert env_file.render() != env_file.render()


def test_check_refuses_the_public_defaults_of_env_example(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text((ROOT / ".env.example").read_text())
    done = runner.invoke(app, ["prod", "check", "--env-file", str(path)])
    assert done.exit_code == 1
    for name in ("OLLIVE_S3_SECRET_KEY", "OLLIVE_CLICKHOUSE_PASSWORD", "OLLIVE_POSTGRES_PASSWORD"):
        assert name in done.output
    assert "OLLIVE_S3_ENDPOINT=http://127.0.0.1:8333 is this machine's loopback" in done.output


def test_refused_names_each_reason() -> None:
    strong = "x" * 32
    assert refused({"OLLIVE_CLICKHOUSE_PASSWORD": strong, "OLLIVE_S3_ACCESS_KEY": "ollive"}) == []
    assert refused({"OLLIVE_CLICKHOUSE_PASSWORD": "ollive-local-ch"}) == [
        "OLLIVE_CLICKHOUSE_PASSWORD is a public default from .env.example"
    ]
    assert "olk_demo_local_only_key" in public_values(), "the demo key is public too"
    assert refused({"OLLIVE_SUPERSET_ADMIN_PASSWORD": "short"})[0].endswith("16 characters")
    assert "letters, digits" in refused({"OLLIVE_POSTGRES_PASSWORD": strong + "@/"})[0]
    assert "olk_" in refused({"OLLIVE_API_KEY": strong})[0]


def _settings(tmp_path: Path, secret: str) -> tuple[ObjectStoreSettings, IngestSettings]:
    s3 = ObjectStoreSettings(endpoint="http://s3:8333", access_key="root", secret_key=secret)
    return s3, IngestSettings(keys_db=tmp_path / "keys.sqlite")


def test_first_start_mints_the_chatbot_key_idempotently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    buckets = []
    monkeypatch.setattr(first_start, "ensure_bucket", buckets.append)
    s3, ingest = _settings(tmp_path, "r" * 40)
    key = "olk_" + "k" * 43
    first_start.first_start(s3, ingest, key)
    first_start.first_start(s3, ingest, key)
    store = KeyStore(ingest.keys_path)
    assert [k.project_id for k in store.list()] == [first_start.CHATBOT_PROJECT]
    assert store.project_for(key) == first_start.CHATBOT_PROJECT
    assert [b.bucket for b in buckets] == ["ollive-raw", "ollive-raw"]
    assert buckets[0].secret_key == "r" * 40, "the bucket is made with the root identity"


def test_first_start_refuses_public_secrets_before_touching_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(first_start, "ensure_bucket", pytest.fail)
    s3, ingest = _settings(tmp_path, "ollive-local-secret")
    with pytest.raises(SystemExit, match="OLLIVE_S3_SECRET_KEY is a public default"):
        first_start.first_start(s3, ingest, "olk_demo_local_only_key")
    assert not ingest.keys_path.exists()
