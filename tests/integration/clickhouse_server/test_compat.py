"""clickhouse-connect against the embedded server: round trips of every column type the
project uses (Native and Arrow), query parameters, sessions, and errors with their codes."""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import uuid

import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

COLUMNS = """
    s String, lc LowCardinality(String), ns Nullable(String), u8 UInt8, u16 UInt16,
    u32 UInt32, u64 UInt64, i8 Int8, i16 Int16, i32 Int32, i64 Int64, f Float64,
    d Decimal(18, 9), b Bool, id UUID, day Date, ts DateTime, ts3 DateTime64(3, 'UTC'),
    arr Array(String), m Map(String, String), e Enum8('a' = 1, 'b' = 2), ni Nullable(Int64)
"""
ROW = [
    "x",
    "low",
    None,
    255,
    65535,
    2**32 - 1,
    2**64 - 1,
    -128,
    -32768,
    -(2**31),
    -(2**63),
    1.5,
    decimal.Decimal("123456789.123456789"),
    True,
    uuid.UUID("0190d3a4-7b1c-7def-8000-000000000001"),
    dt.date(2024, 1, 2),
    dt.datetime(2024, 1, 2, 3, 4, 5),
    dt.datetime(2024, 1, 2, 3, 4, 5, 123000),
    ["a", "b"],
    {"k": "v"},
    "b",
    7,
]


@pytest.fixture
def typed_table(clickhouse_server):
    client = clickhouse_server.client()
    name = f"types_{uuid.uuid4().hex[:8]}"
    client.command(f"CREATE TABLE {name} ({COLUMNS}) ENGINE = MergeTree ORDER BY s")
    yield client, name
    client.command(f"DROP TABLE {name}")


def test_connect_reads_version_and_timezone(clickhouse_server):
    client = clickhouse_server.client()
    assert client.server_version.startswith("26.")
    assert client.query("SELECT 1 + 1").result_rows == [(2,)]


def test_native_round_trip_of_every_type(typed_table):
    client, table = typed_table
    names = [row[0] for row in client.query(f"DESCRIBE {table}").result_rows]
    summary = client.insert(table, [ROW, ROW], column_names=names)
    assert summary.written_rows == 2
    assert client.query(f"SELECT * FROM {table}").result_rows == [tuple(ROW)] * 2


def test_arrow_and_dataframe_round_trip(typed_table):
    client, table = typed_table
    names = [row[0] for row in client.query(f"DESCRIBE {table}").result_rows]
    client.insert(table, [ROW], column_names=names)
    client.insert_arrow(table, client.query_arrow(f"SELECT * FROM {table}"))
    client.insert_df(table, client.query_df(f"SELECT * FROM {table}"))
    rows = client.query(f"SELECT * FROM {table}").result_rows
    assert rows == [tuple(ROW)] * 4


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip", False])
def test_compressed_inserts_and_results(clickhouse_server, compress):
    client = clickhouse_server.client(compress=compress)
    table = f"comp_{uuid.uuid4().hex[:8]}"
    client.command(f"CREATE TABLE {table} (n UInt64, s String) ENGINE = MergeTree ORDER BY n")
    rows = [(n, f"row {n}") for n in range(50_000)]
    client.insert(table, rows, column_names=["n", "s"])
    assert client.query(f"SELECT * FROM {table} ORDER BY n").result_rows == rows


def test_large_streamed_result(clickhouse_server):
    client = clickhouse_server.client()
    with client.query_rows_stream("SELECT number FROM numbers(3000000)") as stream:
        assert sum(1 for _ in stream) == 3_000_000


def test_query_parameters(clickhouse_server):
    client = clickhouse_server.client()
    result = client.query("SELECT {n:UInt32} + 1, {s:String}", parameters={"n": 41, "s": "it's"})
    assert result.result_rows == [(42, "it's")]


def test_session_keeps_set_and_temporary_tables(clickhouse_server):
    client = clickhouse_server.client(session_id=f"s-{uuid.uuid4()}")
    client.command("CREATE TEMPORARY TABLE tmp (a Int8)")
    client.command("INSERT INTO tmp VALUES (1)")
    client.command("SET max_threads = 1")
    assert client.query("SELECT a FROM tmp").result_rows == [(1,)]
    assert client.query("SELECT getSetting('max_threads')").result_rows == [(1,)]
    # URL settings apply to one query only, even inside a session.
    once = client.query("SELECT getSetting('max_threads')", settings={"max_threads": 3})
    assert once.result_rows == [(3,)]
    assert client.query("SELECT getSetting('max_threads')").result_rows == [(1,)]


def test_concurrent_use_of_a_session_is_locked(clickhouse_server):
    params = {
        "session_id": f"s-{uuid.uuid4()}",
        "user": clickhouse_server.user,
        "password": clickhouse_server.password,
    }
    import threading

    slow = threading.Thread(
        target=httpx.post,
        args=(clickhouse_server.url,),
        kwargs={"params": params, "content": "SELECT sleep(1)", "timeout": 10},
    )
    slow.start()
    import time

    time.sleep(0.3)
    response = httpx.post(clickhouse_server.url, params=params, content="SELECT 1")
    slow.join()
    assert response.headers["X-ClickHouse-Exception-Code"] == "373"
    assert "SESSION_IS_LOCKED" in response.text


@pytest.mark.parametrize(
    ("sql", "settings", "code", "status"),
    [
        ("SELECT * FROM no_such_table", {}, 60, 404),
        ("SELEC 1", {}, 62, 400),
        ("SELECT 1", {"xyz_not_a_setting": 1}, 115, 404),
    ],
)
def test_errors_carry_clickhouse_codes(clickhouse_server, sql, settings, code, status):
    client = clickhouse_server.client()
    with pytest.raises(DatabaseError) as raised:
        client.query(sql, settings=settings)
    assert raised.value.code == code
    response = httpx.post(
        clickhouse_server.url,
        params={
            "user": clickhouse_server.user,
            "password": clickhouse_server.password,
            **{k: str(v) for k, v in settings.items()},
        },
        content=sql,
    )
    assert response.status_code == status
    assert response.headers["X-ClickHouse-Exception-Code"] == str(code)
    assert response.text.startswith(f"Code: {code}. DB::Exception: ")
    assert "(version 26.9" in response.text


def test_unknown_setting_message_matches_clickhouse(clickhouse_server):
    response = httpx.get(
        clickhouse_server.url,
        params={"query": "SELECT 1", "xyz": "1"},
        auth=(clickhouse_server.user, clickhouse_server.password),
    )
    assert "Setting xyz is neither a builtin setting nor started with the prefix 'custom_'" in (
        response.text
    )


def test_http_protocol_basics(clickhouse_server):
    url, auth = clickhouse_server.url, (clickhouse_server.user, clickhouse_server.password)
    assert httpx.get(f"{url}/ping").text == "Ok.\n"
    assert httpx.get(url + "/", auth=auth).text == "Ok.\n"
    response = httpx.get(url, params={"query": "SELECT 1, 'a'"}, auth=auth)
    assert response.text == "1\ta\n"
    assert response.headers["X-ClickHouse-Format"] == "TabSeparated"
    summary = response.headers["X-ClickHouse-Summary"]
    assert '"result_rows":"1"' in summary and '"elapsed_ns":"' in summary
    assert response.headers["X-ClickHouse-Query-Id"]
    assert response.headers["X-ClickHouse-Timezone"]
    # GET is read-only, as in ClickHouse.
    response = httpx.get(
        url, params={"query": "CREATE TABLE g (a Int8) ENGINE = Memory"}, auth=auth
    )
    assert response.headers["X-ClickHouse-Exception-Code"] == "164"
    # Query prefix in the URL, data in a gzip body; X-ClickHouse headers for credentials.
    headers = {"X-ClickHouse-User": auth[0], "X-ClickHouse-Key": auth[1]}
    httpx.post(
        url,
        headers=headers,
        content="CREATE TABLE IF NOT EXISTS h (a Int32, s String) ENGINE = MergeTree ORDER BY a",
    ).raise_for_status()
    body = gzip.compress(b'{"a": 1, "s": "x"}\n{"a": 2, "s": "y"}\n')
    response = httpx.post(
        url,
        params={"query": "INSERT INTO h FORMAT JSONEachRow"},
        headers={**headers, "Content-Encoding": "gzip"},
        content=body,
    )
    response.raise_for_status()
    assert '"written_rows":"2"' in response.headers["X-ClickHouse-Summary"]

    def chunks():
        yield b"INSERT INTO h FORMAT CSV\n3,"
        yield b"z\n4,w\n"

    httpx.post(url, headers=headers, content=chunks()).raise_for_status()  # chunked encoding
    response = httpx.post(
        url,
        headers=headers,
        params={"default_format": "JSONEachRow"},
        content="SELECT a FROM h ORDER BY a",
    )
    assert response.text.split() == ['{"a":1}', '{"a":2}', '{"a":3}', '{"a":4}']
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    for fmt in (
        "JSON",
        "Parquet",
        "Arrow",
        "PrettyCompact",
        "CSVWithNames",
        "RowBinaryWithNamesAndTypes",
    ):
        response = httpx.post(url, headers=headers, content=f"SELECT * FROM h FORMAT {fmt}")
        assert response.status_code == 200, response.text
        assert response.headers["X-ClickHouse-Format"] == fmt


def test_system_settings_agree_with_accepted_settings(clickhouse_server):
    client = clickhouse_server.client()
    names = [row[0] for row in client.query("SELECT name FROM system.settings").result_rows]
    assert "max_threads" in names and "insert_deduplication_token" in names
    assert client.query("SELECT 1", settings={"max_threads": 2}).result_rows == [(1,)]
