"""The servers' own configuration in docker/: SeaweedFS's S3 identities, ClickHouse's read-only
user, Dagster's Postgres storage."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from dagster_postgres.utils import pg_url_from_config

from tests.unit.production.compose import COMPOSE_FILE, ROOT

SERVICES = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
START = ROOT / "docker" / "seaweedfs" / "start.sh"
S3_ENV = {
    "S3_BUCKET": "ollive-raw",
    "S3_ROOT_ACCESS_KEY": "root-id",
    "S3_ROOT_SECRET_KEY": "root-secret",
    "S3_INGEST_ACCESS_KEY": "ingest-id",
    "S3_INGEST_SECRET_KEY": "ingest-secret",
    "S3_PIPELINE_ACCESS_KEY": "pipeline-id",
    "S3_PIPELINE_SECRET_KEY": "pipeline-secret",
}


def _start_seaweedfs(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """start.sh with a stand-in `weed` that prints its arguments and the identity file."""
    weed = tmp_path / "weed"
    weed.write_text('#!/bin/sh\necho "$@"\ncat "$S3_CONFIG_FILE"\n')
    weed.chmod(0o755)
    environ = {"PATH": f"{tmp_path}:/usr/bin:/bin", "S3_CONFIG_FILE": str(tmp_path / "s3.json")}
    return subprocess.run(
        ["/bin/sh", str(START)], env=environ | env, capture_output=True, text=True, timeout=10
    )


def test_seaweedfs_gets_one_identity_per_role(tmp_path: Path) -> None:
    done = _start_seaweedfs(tmp_path, **S3_ENV)
    assert done.returncode == 0, done.stderr
    argv, config = done.stdout.split("\n", 1)
    assert argv.startswith("server ") and f"-s3.config={tmp_path}/s3.json" in argv
    identities = {i["name"]: i for i in json.loads(config)["identities"]}
    assert identities["root"]["actions"] == ["Admin", "Read", "Write", "List", "Tagging"]
    assert identities["ingest"]["actions"] == ["Read:ollive-raw", "Write:ollive-raw"]
    assert identities["pipeline"]["actions"] == [
        "Read:ollive-raw",
        "Write:ollive-raw",
        "List:ollive-raw",
    ]
    assert identities["ingest"]["credentials"] == [
        {"accessKey": "ingest-id", "secretKey": "ingest-secret"}
    ]
    assert os.stat(tmp_path / "s3.json").st_mode & 0o077 == 0, "readable by its owner only"
    s3 = SERVICES["s3"]
    assert set(s3["environment"]) == set(S3_ENV)
    assert "./docker/seaweedfs/start.sh:/etc/ollive/start.sh:ro" in s3["volumes"]


@pytest.mark.parametrize("value", ["", 'quote"inside', "back\\slash"])
def test_seaweedfs_refuses_values_that_would_break_its_identity_file(
    tmp_path: Path, value: str
) -> None:
    done = _start_seaweedfs(tmp_path, **(S3_ENV | {"S3_INGEST_SECRET_KEY": value}))
    assert done.returncode == 1 and "S3_INGEST_SECRET_KEY must be set" in done.stderr


def test_clickhouse_readonly_user_is_configured_on_every_start() -> None:
    """A users.d file, read at every start, with the password from the container's env."""
    clickhouse = SERVICES["clickhouse"]
    mount = next(v for v in clickhouse["volumes"] if "readonly.xml" in v)
    source, target = mount.split(":")[:2]
    assert target.startswith("/etc/clickhouse-server/users.d/")
    assert not any("docker-entrypoint-initdb.d" in v for v in clickhouse["volumes"])
    users = ET.parse(ROOT / source).getroot().find("users")
    (user,) = list(users)
    password = user.find("password")
    assert password.attrib["from_env"] in clickhouse["environment"]
    assert not (password.text or "").strip()
    assert user.find("grants/query").text == "GRANT SELECT ON ollive.*"
    profile = ET.parse(ROOT / source).getroot().find(f"profiles/{user.find('profile').text}")
    assert profile.find("readonly").text == "1"
    superset = SERVICES["superset"]["environment"]
    assert superset["OLLIVE_CLICKHOUSE_READONLY_USER"] == user.tag
    assert f"--user {user.tag}" in clickhouse["healthcheck"]["test"][1]


def test_dagster_storage_is_postgres_and_quotes_the_password() -> None:
    """dagster-postgres is installed and builds the URL itself, quoting the password."""
    config = yaml.safe_load((ROOT / "docker" / "dagster" / "dagster.yaml").read_text())
    db = config["storage"]["postgres"]["postgres_db"]
    instance_env = SERVICES["dagster-webserver"]["environment"]
    values = {
        field: instance_env[source["env"]] if isinstance(source, dict) else source
        for field, source in db.items()
    }
    url = pg_url_from_config({"postgres_db": values | {"password": "p@ss:word"}})
    # psycopg2, named: SQLAlchemy 2.1 would pick psycopg 3 for a bare postgresql://
    assert url.startswith("postgresql+psycopg2://ollive:p%40ss%3Aword@postgres")
    assert url.endswith("/dagster")
