"""Access control enforced by the engine: a server started with an access file of users, roles,
grants and a row policy; the tenant user sees one project's rows, the engine refuses what its
role does not grant, and dbt-clickhouse's `grants:` config builds against it."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import clickhouse_connect
import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.fixtures.clickhouse import ClickHouseServer

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "dbt_sample"
DBT = Path(sys.executable).parent / "dbt"
TENANT, TENANT_PASSWORD = "tenant_a", "tenant-a-password"
READER, READER_PASSWORD = "dbt_reader", "dbt-reader-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sha(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


ACCESS_FILE = f"""
[roles.events_reader]
grants = ["GRANT SELECT ON access_t.events"]

[users.{TENANT}]
password_sha256_hex = "{_sha(TENANT_PASSWORD)}"
roles = ["events_reader"]
readonly = 1

[users.{READER}]
password_sha256_hex = "{_sha(READER_PASSWORD)}"
grants = ["GRANT SELECT ON access_dbt.granted_model"]

[row_policies.project_a_only]
table = "access_t.events"
using = "project_id = 'a'"
to = ["{TENANT}"]
"""


@dataclass
class _AccessServer(ClickHouseServer):
    access_file: Path | None = None

    def env(self) -> dict[str, str]:
        return {**super().env(), "OLLIVE_STACK_CLICKHOUSE_ACCESS_FILE": str(self.access_file)}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_AccessServer]:
    root = tmp_path_factory.mktemp("access")
    (root / "access.toml").write_text(ACCESS_FILE)
    server = _AccessServer(path=root / "data", port=_free_port(), access_file=root / "access.toml")
    server.start()
    admin = server.client()
    admin.command("CREATE DATABASE access_t")
    admin.command(
        "CREATE TABLE access_t.events (project_id String, n UInt32) ENGINE = MergeTree ORDER BY n"
    )
    admin.command("INSERT INTO access_t.events VALUES ('a', 1), ('a', 2), ('b', 3), ('c', 4)")
    admin.command("CREATE TABLE access_t.secrets (s String) ENGINE = MergeTree ORDER BY s")
    admin.command("INSERT INTO access_t.secrets VALUES ('x')")
    yield server
    server.stop()


def _client(server: ClickHouseServer, user: str, password: str):
    return clickhouse_connect.get_client(
        host=server.host, port=server.port, username=user, password=password
    )


def test_row_policy_restricts_tenant_to_one_project(server):
    tenant = _client(server, TENANT, TENANT_PASSWORD)
    assert tenant.query("SELECT project_id, n FROM access_t.events ORDER BY n").result_rows == [
        ("a", 1),
        ("a", 2),
    ]
    assert (
        tenant.query("SELECT count() FROM access_t.events WHERE project_id != 'a'").result_rows[0][
            0
        ]
        == 0
    )
    admin = server.client()
    assert admin.query("SELECT count() FROM access_t.events").result_rows[0][0] == 4
    # A user no policy names sees every row, as in ClickHouse.
    analyst = server.client(readonly=True)
    assert analyst.query("SELECT count() FROM access_t.events").result_rows[0][0] == 4
    policies = admin.query("SELECT database, table FROM system.row_policies").result_rows
    assert ("access_t", "events") in policies


def dictionary_rows(admin, name: str, user: str, password: str) -> list[tuple]:
    """Rows of a dictionary over `access_t.events` whose ClickHouse source logs in as `user`."""
    admin.command(
        f"CREATE DICTIONARY access_t.{name} (n UInt32, project_id String) PRIMARY KEY n "
        f"SOURCE(CLICKHOUSE(DB 'access_t' TABLE 'events' USER '{user}' "
        f"PASSWORD '{password}')) LAYOUT(FLAT()) LIFETIME(0)"
    )
    return admin.query(f"SELECT project_id, n FROM access_t.{name} ORDER BY n").result_rows


def test_dictionary_source_authenticates_in_the_engine_under_the_users_policy(server):
    admin = server.client()
    assert dictionary_rows(admin, "events_as_tenant", TENANT, TENANT_PASSWORD) == [
        ("a", 1),
        ("a", 2),
    ]
    policies = admin.query("SELECT short_name, select_filter FROM system.row_policies")
    assert (TENANT, "(project_id = 'a')") in policies.result_rows
    with pytest.raises(DatabaseError) as raised:
        dictionary_rows(admin, "events_bad_password", TENANT, "wrong")
    assert raised.value.code == 516


def test_dictionary_source_as_the_read_write_user_default(server):
    """dbt-clickhouse's dictionary materialization writes the profile's user and password into
    the source; with the read-write user `default` (the engine login) that authenticates.
    Inside the engine the login holds every role, so every row policy applies to it: here the
    tenant's, hence only project a's rows of the policy's table."""
    assert server.user == "default"
    rows = dictionary_rows(server.client(), "events_as_default", "default", server.password)
    assert rows == [("a", 1), ("a", 2)]


def test_engine_enforces_the_role_grants(server):
    tenant = _client(server, TENANT, TENANT_PASSWORD)
    with pytest.raises(DatabaseError) as raised:
        tenant.query("SELECT * FROM access_t.secrets")
    assert raised.value.code == 497  # ACCESS_DENIED, from the engine
    with pytest.raises(DatabaseError) as raised:
        tenant.command("INSERT INTO access_t.events VALUES ('b', 9)")
    assert raised.value.code == 497  # no INSERT grant: the engine checks grants first
    with pytest.raises(DatabaseError) as raised:
        tenant.query("SELECT 1 SETTINGS max_threads = 1")
    assert raised.value.code == 164  # readonly = 1
    assert tenant.query("SELECT currentRoles()").result_rows[0][0] == [TENANT]
    admin = server.client()
    users = {row[0] for row in admin.query("SELECT name FROM system.users").result_rows}
    assert {TENANT, READER, server.readonly_user} <= users
    grants = admin.query(f"SHOW GRANTS FOR {TENANT}").result_rows
    assert ("GRANT events_reader TO tenant_a",) in grants


def test_a_request_cannot_switch_role(server):
    response = httpx.post(server.url, content="SET ROLE `default`", auth=(TENANT, TENANT_PASSWORD))
    assert response.headers["X-ClickHouse-Exception-Code"] == "512"
    assert response.status_code == 403


def test_sql_access_management_is_refused_except_grants_in_force(server):
    admin = server.client()
    with pytest.raises(DatabaseError) as raised:
        admin.command("CREATE USER someone IDENTIFIED BY 'x'")
    assert raised.value.code == 514  # no writable access storage in chDB
    with pytest.raises(DatabaseError) as raised:
        admin.command(f"GRANT SELECT ON access_t.secrets TO {TENANT}")
    assert raised.value.code == 495  # ACCESS_STORAGE_READONLY
    # Re-stating a grant the access file declares is a no-op that succeeds.
    admin.command("GRANT SELECT ON access_t.events TO events_reader")
    # So is creating, if it does not exist, a user or role the access file provides (as
    # ClickHouse answers it); a new one, or an existing one without IF NOT EXISTS, is refused.
    admin.command(f"CREATE USER IF NOT EXISTS {TENANT} IDENTIFIED BY 'ignored'")
    admin.command("CREATE ROLE IF NOT EXISTS events_reader")
    for refused in (
        f"CREATE USER IF NOT EXISTS {TENANT}, someone_new",
        f"CREATE USER {TENANT} IDENTIFIED BY 'x'",
        "CREATE ROLE IF NOT EXISTS new_role",
    ):
        with pytest.raises(DatabaseError) as raised:
            admin.command(refused)
        assert raised.value.code in (495, 514), refused
    # and nothing changed: the tenant's own password still logs in
    assert _client(server, TENANT, TENANT_PASSWORD).command("SELECT 1") == 1


def test_create_user_if_not_exists_with_a_bound_name(server):
    """dbt-clickhouse's suite fixture binds the name: clickhouse-connect sends it as a string
    literal (`CREATE USER IF NOT EXISTS 'tenant_a' IDENTIFIED WITH sha256_hash BY '…'`)."""
    admin = server.client()
    statement = "CREATE USER IF NOT EXISTS %s IDENTIFIED WITH sha256_hash BY %s"
    admin.command(statement, (TENANT, _sha("ignored")))
    admin.command("CREATE USER IF NOT EXISTS `tenant_a`, 'dbt_reader'")
    with pytest.raises(DatabaseError) as raised:
        admin.command(statement, ("someone_new", _sha("x")))
    assert raised.value.code in (495, 514)
    with pytest.raises(DatabaseError) as raised:
        admin.command("CREATE USER IF NOT EXISTS 'tenant_a', 'someone_new'")
    assert raised.value.code in (495, 514)
    assert _client(server, TENANT, TENANT_PASSWORD).command("SELECT 1") == 1


def test_dbt_grants_config_builds_and_the_grant_holds(server, tmp_path):
    project = tmp_path / "dbt_grants"
    (project / "models").mkdir(parents=True)
    shutil.copy(SAMPLE / "profiles.yml", project / "profiles.yml")
    (project / "dbt_project.yml").write_text(
        'name: dbt_sample\nversion: "1.0.0"\nprofile: dbt_sample\nconfig-version: 2\n'
    )
    (project / "models" / "granted_model.sql").write_text(
        "{{ config(materialized='table', engine='MergeTree()', order_by='n',"
        f" grants={{'select': ['{READER}']}}) }}}}\n"
        "select number as n from numbers(3)\n"
    )
    env = {
        **os.environ,
        "DBT_CLICKHOUSE_PORT": str(server.port),
        "DBT_CLICKHOUSE_USER": server.user,
        "DBT_CLICKHOUSE_PASSWORD": server.password,
        "DBT_CLICKHOUSE_SCHEMA": "access_dbt",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
    }
    result = subprocess.run(
        [str(DBT), "run", "--project-dir", str(project), "--profiles-dir", str(project)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=project,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

    admin = server.client()
    grants = [row[0] for row in admin.query(f"SHOW GRANTS FOR {READER}").result_rows]
    assert f"GRANT SELECT ON access_dbt.granted_model TO {READER}" in grants
    reader = _client(server, READER, READER_PASSWORD)
    assert reader.query("SELECT sum(n) FROM access_dbt.granted_model").result_rows[0][0] == 3
    with pytest.raises(DatabaseError) as raised:
        reader.query("SELECT count() FROM access_t.events")
    assert raised.value.code == 497
