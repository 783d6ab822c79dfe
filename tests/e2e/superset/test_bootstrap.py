"""The bootstrap brings Superset to the bundle in git, idempotently; the config refuses weak
secrets."""

from __future__ import annotations

import runpy

import pytest
import yaml

from superset_config.bundle import BUNDLE_DIR
from superset_config.launch import CONFIG_PATH
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


@pytest.mark.parametrize("secret", [None, "", "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "short"])
def test_config_refuses_missing_default_or_weak_secret(monkeypatch, tmp_path, secret) -> None:
    monkeypatch.setenv("OLLIVE_SUPERSET_STATE_DIR", str(tmp_path / "superset"))
    monkeypatch.delenv("SUPERSET_SECRET_KEY", raising=False)
    if secret is None:
        monkeypatch.delenv("OLLIVE_SUPERSET_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("OLLIVE_SUPERSET_SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="refuses to start"):
        runpy.run_path(str(CONFIG_PATH))


def test_config_reads_secret_and_sqlite_metadata_under_the_state_dir(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OLLIVE_SUPERSET_STATE_DIR", str(tmp_path / "superset"))
    monkeypatch.setenv("OLLIVE_SUPERSET_SECRET_KEY", "x" * 48)
    monkeypatch.delenv("OLLIVE_SUPERSET_DATABASE_URI", raising=False)
    config = runpy.run_path(str(CONFIG_PATH))
    assert config["SQLALCHEMY_DATABASE_URI"].startswith(f"sqlite:///{tmp_path}/superset/")
    assert config["FEATURE_FLAGS"]["DASHBOARD_CROSS_FILTERS"] is True
    assert config["DATA_CACHE_CONFIG"]["CACHE_TYPE"] == "FileSystemCache"
    assert config["SCARF_ANALYTICS"] is False
