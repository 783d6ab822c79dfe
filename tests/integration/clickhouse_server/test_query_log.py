"""`system.query_log` on the embedded server: a client's query id is found afterwards, with the
statement's type, duration and counters, as on a ClickHouse server."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.fixtures.clickhouse import ClickHouseServer, _free_port


def _log(client, query_id: str) -> list[tuple]:
    client.command("SYSTEM FLUSH LOGS")
    return client.query(
        "SELECT type, user, query_kind, read_rows, written_rows, result_rows, query_duration_ms,"
        " exception_code, query, Settings FROM system.query_log WHERE query_id = {id:String}"
        " ORDER BY event_time_microseconds",
        parameters={"id": query_id},
    ).result_rows


def test_a_select_is_logged_under_the_clients_query_id(clickhouse_server):
    client = clickhouse_server.client()
    query_id = f"select-{uuid.uuid4()}"
    result = client.query("SELECT count() FROM numbers(12345)", settings={"query_id": query_id})
    assert result.query_id == query_id
    rows = _log(client, query_id)
    assert [row[0] for row in rows] == ["QueryStart", "QueryFinish"]
    finish = rows[1]
    assert finish[1] == clickhouse_server.user
    assert finish[2] == "Select"
    assert finish[3] == 12345  # read_rows
    assert finish[5] == 1  # result_rows
    assert finish[6] >= 0  # query_duration_ms
    assert finish[8].startswith("SELECT count() FROM numbers(12345)")
    assert "chdb_client_name" not in finish[9]  # the carrier of the id is not shown


def test_commands_inserts_and_failures_are_logged(clickhouse_server):
    client = clickhouse_server.client()
    table = f"qlog_{uuid.uuid4().hex[:8]}"
    create_id, insert_id, failed_id = (f"{kind}-{uuid.uuid4()}" for kind in "cif")
    client.command(
        f"CREATE TABLE {table} (x UInt64) ENGINE = MergeTree ORDER BY x",
        settings={"query_id": create_id},
    )
    client.insert(table, [[1], [2], [3]], column_names=["x"], settings={"query_id": insert_id})
    with pytest.raises(DatabaseError):
        client.query(f"SELECT no_such_column FROM {table}", settings={"query_id": failed_id})
    assert [row[:3] for row in _log(client, create_id)][-1] == (
        "QueryFinish",
        clickhouse_server.user,
        "Create",
    )
    insert = _log(client, insert_id)[-1]
    assert insert[0] == "QueryFinish" and insert[4] == 3  # written_rows
    failed = _log(client, failed_id)
    assert [row[0] for row in failed] == ["ExceptionBeforeStart"]
    assert failed[0][7] == 47  # UNKNOWN_IDENTIFIER
    client.command(f"DROP TABLE {table}")


def test_header_query_id_and_the_servers_own_statements(clickhouse_server):
    """ClickHouse takes the id from the `query_id` parameter and answers it in
    X-ClickHouse-Query-Id. A request's URL settings (which the server applies with SET) are
    not logged as queries of their own, but show in the query's Settings."""
    query_id = f"raw-{uuid.uuid4()}"
    response = httpx.post(
        clickhouse_server.url,
        params={"query_id": query_id, "max_threads": "2"},
        content=b"SELECT 1",
        auth=(clickhouse_server.user, clickhouse_server.password),
    )
    assert response.headers["X-ClickHouse-Query-Id"] == query_id
    client = clickhouse_server.client()
    rows = _log(client, query_id)
    assert [row[8] for row in rows] == ["SELECT 1", "SELECT 1"]
    assert rows[1][9]["max_threads"] == "2"


def test_the_read_only_user_is_logged_as_itself(clickhouse_server):
    """Outside a session (a read-only user's session is readonly=1 from its start, so its
    statements cannot be labelled: docs/clickhouse_server.md)."""
    reader = clickhouse_server.client(readonly=True, autogenerate_session_id=False)
    query_id = f"ro-{uuid.uuid4()}"
    reader.query("SELECT 1", settings={"query_id": query_id})
    rows = _log(clickhouse_server.client(), query_id)
    assert [row[0] for row in rows] == ["QueryStart", "QueryFinish"]
    assert all(row[1] == clickhouse_server.readonly_user for row in rows)


def test_the_flush_interval_is_configurable(tmp_path):
    """`--query-log-flush-ms`: rows appear without `SYSTEM FLUSH LOGS` (clients' test servers
    flush every second and their tests poll for 3 s; ClickHouse's default is 7.5 s)."""
    server = ClickHouseServer(
        path=tmp_path / "data", port=_free_port(), extra_args=("--query-log-flush-ms", "200")
    )
    server.start()
    try:
        client = server.client()
        query_id = f"flush-{uuid.uuid4()}"
        client.query("SELECT 1", settings={"query_id": query_id})
        found: list[tuple] = []
        deadline = time.monotonic() + 4
        while not found and time.monotonic() < deadline:
            found = client.query(
                "SELECT type FROM system.query_log WHERE query_id = {id:String}",
                parameters={"id": query_id},
            ).result_rows
            time.sleep(0.1)
        assert ("QueryFinish",) in found or ("QueryStart",) in found
    finally:
        server.stop()
