"""External data: file parts of a multipart request are temporary tables of the one query,
joined with real tables, as on a ClickHouse server (clickhouse-connect's `external_data`)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError
from clickhouse_connect.driver.external import ExternalData


@pytest.fixture
def prices(clickhouse_server):
    client = clickhouse_server.client()
    table = f"prices_{uuid.uuid4().hex[:8]}"
    client.command(
        f"CREATE TABLE {table} (model String, usd Float64) ENGINE = MergeTree ORDER BY model"
    )
    client.insert(
        table, [["flash", 0.5], ["pro", 2.0], ["ultra", 9.0]], column_names=["model", "usd"]
    )
    yield client, table
    client.command(f"DROP TABLE {table}")


def test_an_external_table_joins_a_real_table(prices):
    client, table = prices
    data = ExternalData(
        file_name="calls.csv",
        data=b"flash,3\npro,2\nnano,7\n",
        fmt="CSV",
        structure="model String, n UInt32",
    )
    result = client.query(
        f"SELECT c.model, c.n * p.usd FROM calls AS c INNER JOIN {table} AS p USING model"
        " ORDER BY c.model",
        external_data=data,
    )
    assert result.result_rows == [("flash", 1.5), ("pro", 4.0)]


def test_types_name_the_columns_and_two_files_in_one_query(clickhouse_server):
    client = clickhouse_server.client()
    data = ExternalData(file_name="a.tsv", data=b"1\tx\n2\ty\n", types=["UInt8", "String"])
    data.add_file(
        file_name="b.json", data=b'{"k": 2}\n{"k": 3}\n', fmt="JSONEachRow", structure="k UInt8"
    )
    result = client.query("SELECT _1, _2 FROM a WHERE _1 IN (SELECT k FROM b)", external_data=data)
    assert result.result_rows == [(2, "y")]


def test_external_tables_live_for_one_query_only(clickhouse_server):
    """In a session, the next query no longer sees them (ClickHouse's are per query)."""
    client = clickhouse_server.client()  # clickhouse-connect sends a session_id by default
    data = ExternalData(file_name="once.tsv", data=b"5\n", structure="v UInt8")
    assert client.query("SELECT sum(v) FROM once", external_data=data).result_rows == [(5,)]
    with pytest.raises(DatabaseError) as caught:
        client.query("SELECT * FROM once")
    assert "UNKNOWN_TABLE" in str(caught.value)
    # and the same name can be sent again
    assert client.query("SELECT v FROM once", external_data=data).result_rows == [(5,)]


def test_a_file_part_without_structure_is_refused_as_clickhouse_does(clickhouse_server):
    response = httpx.post(
        clickhouse_server.url,
        params={"user": clickhouse_server.user, "password": clickhouse_server.password},
        data={"query": "SELECT * FROM t"},
        files={"t": ("t.tsv", b"1\n", "application/octet-stream")},
    )
    assert response.status_code == 400
    assert response.headers["X-ClickHouse-Exception-Code"] == "36"
    assert (
        "Neither structure nor types have not been provided for external table t" in response.text
    )


def test_curl_style_request_with_url_parameters(clickhouse_server):
    """`curl -F 'passwd=@passwd.tsv;' 'http://…/?query=…&passwd_structure=…'`, the docs' example."""
    response = httpx.post(
        clickhouse_server.url,
        params={
            "user": clickhouse_server.user,
            "password": clickhouse_server.password,
            "query": "SELECT shell, count() AS c FROM passwd GROUP BY shell ORDER BY c DESC",
            "passwd_structure": "login String, unused String, uid UInt16, gid UInt16,"
            " comment String, home String, shell String",
            "passwd_format": "TSV",
        },
        files={
            "passwd": (
                "passwd.tsv",
                b"root\tx\t0\t0\troot\t/root\t/bin/bash\n"
                b"daemon\tx\t1\t1\tdaemon\t/usr/sbin\t/usr/sbin/nologin\n"
                b"bin\tx\t2\t2\tbin\t/bin\t/usr/sbin/nologin\n",
            )
        },
    )
    assert response.status_code == 200, response.text
    assert response.text == "/usr/sbin/nologin\t2\n/bin/bash\t1\n"
