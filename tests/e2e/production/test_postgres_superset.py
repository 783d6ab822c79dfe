"""Superset on the `postgres` profile: its metadata (users, roles, the bundle's dashboards) lives
in the stack's PostgreSQL, not in a SQLite file, and serves dashboards from there.

Its own module because Superset's bootstrap on a fresh metadata database takes minutes; the
profile's other services are tested in test_postgres_profile.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import clickhouse_connect
import pytest
import yaml

from ollive.stack import postgres
from ollive.stack.ports import free_ports
from ollive.stack.services import all_services
from ollive.stack.supervisor import Supervisor
from ollive_contract.settings import ClickHouseSettings, StackSettings, SupersetSettings
from ollive_contract.tables import MARTS_DATABASE
from superset_config.bundle import BUNDLE_DIR
from superset_config.launch import superset_env
from tests.fixtures.superset_client import Superset, require_venv

SERVICES = ("postgres", "clickhouse", "superset")


@pytest.fixture(scope="module")
def pg_superset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Superset]:
    require_venv()
    ch, pg, superset = free_ports(3)
    settings = StackSettings(
        state_dir=tmp_path_factory.mktemp("pg-superset"),
        profile="postgres",
        postgres_port=pg,
        clickhouse=ClickHouseSettings(port=ch),
        superset=SupersetSettings(port=superset),
    )
    specs = [spec for spec in all_services(settings) if spec.name in SERVICES]
    assert sorted(spec.name for spec in specs) == sorted(SERVICES)
    supervisor = Supervisor(settings.state_path, settings.host)
    try:
        supervisor.up(specs, report=print)
        # the marts' database, which dbt makes on a full stack (Superset's connection uses it)
        ch = settings.clickhouse
        clickhouse_connect.get_client(
            host=ch.host, port=ch.port, username=ch.user, password=ch.password.get_secret_value()
        ).command(f"CREATE DATABASE IF NOT EXISTS {MARTS_DATABASE}")
        env = superset_env(postgres.with_postgres(settings))
        yield Superset(
            settings,
            f"http://{settings.host}:{settings.superset.port}",
            env["OLLIVE_SUPERSET_ADMIN_USER"],
            env["OLLIVE_SUPERSET_ADMIN_PASSWORD"],
            env,
        )
    finally:
        supervisor.down(report=print)


def _bundle_dashboards() -> set[str]:
    return {
        yaml.safe_load(path.read_text())["dashboard_title"]
        for path in (BUNDLE_DIR / "dashboards").glob("*.yaml")
    }


def test_superset_keeps_its_metadata_in_postgres(pg_superset: Superset) -> None:
    pg = postgres.server(pg_superset.settings)
    with postgres.connect(pg, postgres.SUPERSET_DB) as conn:
        titles = {r[0] for r in conn.execute("select dashboard_title from dashboards")}
        admins = conn.execute(
            "select count(*) from ab_user where username = %s", (pg_superset.user,)
        ).fetchone()[0]
    assert titles == _bundle_dashboards()
    assert admins == 1
    # nothing fell back to a SQLite file in the state directory
    assert not list(pg_superset.settings.state_path.rglob("superset.db"))


def test_dashboards_are_served_from_the_postgres_metadata(pg_superset: Superset) -> None:
    api = pg_superset.api()  # already open: its login happened on creation
    try:
        listed = api.get("/api/v1/dashboard/", params={"q": "(page_size:100)"})
        listed.raise_for_status()
        titles = {d["dashboard_title"] for d in listed.json()["result"]}
        assert titles == _bundle_dashboards()
        # SQL Lab through the metadata's database record reaches the warehouse
        databases = api.get("/api/v1/database/").json()["result"]
        [warehouse] = [d for d in databases if d["backend"] == "clickhousedb"]
        ran = api.post(
            "/api/v1/sqllab/execute/",
            json={
                "database_id": warehouse["id"],
                "sql": "select 6 * 7 as answer",
                "runAsync": False,
            },
        )
        ran.raise_for_status()
        assert ran.json()["data"] == [{"answer": 42}]
    finally:
        api.close()
