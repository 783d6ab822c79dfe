"""The bootstrap brings Superset to the bundle in git, idempotently; the config refuses weak
secrets."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from superset_config.bundle import BUNDLE_DIR
from superset_config.launch import CONFIG_PATH, VENV_BIN
from tests.fixtures.superset_client import run_bootstrap

# REST resource → bundle folder
RESOURCES = {
    "database": "databases",
    "dataset": "datasets",
    "chart": "charts",
    "dashboard": "dashboards",
}


def bundle_uuids(folder: str) -> set[str]:
    return {yaml.safe_load(p.read_text())["uuid"] for p in (BUNDLE_DIR / folder).rglob("*.yaml")}


def listed_uuids(api, resource: str) -> list[str]:
    ids = [
        row["id"]
        for row in api.get(f"/api/v1/{resource}/", params={"q": "(page_size:100)"}).json()["result"]
    ]
    return [
        api.get(f"/api/v1/{resource}/{i}").json()["result"].get("uuid") or _uuid(api, resource, i)
        for i in ids
    ]


def _uuid(api, resource: str, pk: int) -> str:
    # not every resource's GET shows its uuid; the export's YAML always does
    rows = api.get(
        f"/api/v1/{resource}/",
        params={"q": f"(filters:!((col:id,opr:eq,value:{pk})),columns:!(uuid))"},
    )
    return rows.json()["result"][0]["uuid"]


def test_bootstrap_twice_leaves_one_copy_of_everything(superset) -> None:
    run_bootstrap(superset.settings, superset.settings.state_path / "logs" / "bootstrap-again.log")
    api = superset.api()
    for resource, folder in RESOURCES.items():
        uuids = listed_uuids(api, resource)
        assert len(uuids) == len(set(uuids)), f"duplicate {resource}s"
        assert set(uuids) == bundle_uuids(folder), resource
    users = api.get("/api/v1/security/users/", params={"q": "(page_size:100)"})
    if users.status_code == 200:
        assert [u["username"] for u in users.json()["result"]] == [superset.user]


def test_database_connects_as_the_read_only_user(superset, superset_data) -> None:
    api = superset.api()
    (db,) = api.get("/api/v1/database/").json()["result"]
    detail = api.get(f"/api/v1/database/{db['id']}/connection").json()["result"]
    assert detail["sqlalchemy_uri"].startswith(
        f"clickhousedb://{superset.settings.clickhouse.readonly_user}:XXXXXXXXXX@"
    )

    def sql(statement: str):
        return api.post(
            "/api/v1/sqllab/execute/",
            json={"database_id": db["id"], "sql": statement, "runAsync": False},
        )

    assert sql("select count() from ollive.fct_inferences").status_code == 200
    write = sql("insert into ollive.agg_application_5m (level) values ('x')")
    assert write.status_code != 200 and "DML" in write.text


# The config is Superset's: it runs in Superset's virtualenv (it imports Superset's logger base).
CONFIG_PROBE = """
import json, runpy, sys
config = runpy.run_path(sys.argv[1])
logger = config.get("EVENT_LOGGER")
print(json.dumps({
    "uri": config["SQLALCHEMY_DATABASE_URI"],
    "cross_filters": config["FEATURE_FLAGS"]["DASHBOARD_CROSS_FILTERS"],
    "data_cache": config["DATA_CACHE_CONFIG"]["CACHE_TYPE"],
    "scarf": config["SCARF_ANALYTICS"],
    "event_logger": type(logger).__name__ if logger is not None else None,
    "connection_mutator": getattr(config.get("DB_CONNECTION_MUTATOR"), "__name__", None),
}))
"""


def run_config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Superset's reading of the config under `env` (on top of a clean state dir)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OLLIVE_", "SUPERSET_"))}
    base |= {"OLLIVE_SUPERSET_STATE_DIR": str(tmp_path / "superset"), "PYTHONPATH": ""}
    return subprocess.run(
        [str(VENV_BIN / "python"), "-c", CONFIG_PROBE, str(CONFIG_PATH)],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("secret", [None, "", "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "short"])
def test_config_refuses_missing_default_or_weak_secret(tmp_path, secret) -> None:
    env = {} if secret is None else {"OLLIVE_SUPERSET_SECRET_KEY": secret}
    done = run_config(tmp_path, **env)
    assert done.returncode != 0
    assert "RuntimeError: Superset refuses to start" in done.stderr


def test_config_reads_secret_and_sqlite_metadata_under_the_state_dir(tmp_path) -> None:
    done = run_config(tmp_path, OLLIVE_SUPERSET_SECRET_KEY="x" * 48)
    assert done.returncode == 0, done.stderr[-2000:]
    config = json.loads(done.stdout.splitlines()[-1])
    assert config["uri"].startswith(f"sqlite:///{tmp_path}/superset/")
    assert config["cross_filters"] is True
    assert config["data_cache"] == "FileSystemCache"
    assert config["scarf"] is False
    # the action log off the request path unless asked otherwise
    assert config["event_logger"] == "BackgroundEventLogger"
    # one ClickHouse connection per worker, not a client per chart query
    assert config["connection_mutator"] == "reuse_connections"


def test_config_refuses_an_unknown_action_log(tmp_path) -> None:
    done = run_config(
        tmp_path, OLLIVE_SUPERSET_SECRET_KEY="x" * 48, OLLIVE_SUPERSET_ACTION_LOG="db"
    )
    assert done.returncode != 0
    assert "OLLIVE_SUPERSET_ACTION_LOG='db': expected background, request or off" in done.stderr
