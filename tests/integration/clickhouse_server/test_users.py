"""Users: the read-only user reads but cannot write (164); bad credentials are refused (516)."""

from __future__ import annotations

import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError


def test_readonly_user_reads_but_cannot_write(clickhouse_server):
    writer = clickhouse_server.client()
    writer.command("CREATE TABLE IF NOT EXISTS ro_t (a Int32) ENGINE = MergeTree ORDER BY a")
    writer.command("INSERT INTO ro_t VALUES (1)")
    reader = clickhouse_server.client(readonly=True)
    assert reader.query("SELECT count() FROM ro_t").result_rows[0][0] >= 1
    for statement in (
        "INSERT INTO ro_t VALUES (2)",
        "CREATE TABLE x (a Int8) ENGINE = Memory",
        "DROP TABLE ro_t",
    ):
        with pytest.raises(DatabaseError) as raised:
            reader.command(statement)
        assert raised.value.code == 164
    with pytest.raises(DatabaseError) as raised:
        reader.insert("ro_t", [[3]], column_names=["a"])
    assert raised.value.code == 164


def test_readonly_user_cannot_change_settings(clickhouse_server):
    response = httpx.post(
        clickhouse_server.url,
        params={"max_threads": "1"},
        content="SELECT 1",
        auth=(clickhouse_server.readonly_user, clickhouse_server.readonly_password),
    )
    assert response.headers["X-ClickHouse-Exception-Code"] == "164"


@pytest.mark.parametrize("how", ["basic", "headers", "params"])
def test_wrong_password_is_refused(clickhouse_server, how):
    user, password = clickhouse_server.user, "wrong"
    kwargs: dict = {"content": "SELECT 1"}
    if how == "basic":
        kwargs["auth"] = (user, password)
    elif how == "headers":
        kwargs["headers"] = {"X-ClickHouse-User": user, "X-ClickHouse-Key": password}
    else:
        kwargs["params"] = {"user": user, "password": password}
    response = httpx.post(clickhouse_server.url, **kwargs)
    # ClickHouse answers AUTHENTICATION_FAILED with 403 (exceptionCodeToHTTPStatus.cpp).
    assert response.status_code == 403
    assert response.headers["X-ClickHouse-Exception-Code"] == "516"
    assert "AUTHENTICATION_FAILED" in response.text
    assert password not in response.text


def test_wrong_password_raises_in_client(clickhouse_server):
    import clickhouse_connect

    with pytest.raises(DatabaseError) as raised:
        clickhouse_connect.get_client(
            host=clickhouse_server.host,
            port=clickhouse_server.port,
            username="default",
            password="nope",
        )
    assert raised.value.code == 516
