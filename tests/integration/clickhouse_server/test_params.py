"""Query parameters and the query in a form body, as ClickHouse's HTTP interface reads them.

clickhouse-connect moves the query and its `param_*` values into a multipart/form-data body
once the URL-encoded parameters pass 4 KB (a list of 100 keys does). `curl -d` sends
`application/x-www-form-urlencoded`, which ClickHouse does not treat as a form.
"""

from __future__ import annotations

import uuid

import httpx


def _auth(server) -> dict[str, str]:
    return {"user": server.user, "password": server.password}


def test_large_array_parameter_goes_multipart_and_binds(clickhouse_server):
    client = clickhouse_server.client()
    keys = [
        f"raw/inference/v1/dt=2026-01-01/hour=00/{i:013d}-{uuid.uuid4()}.ndjson.gz"
        for i in range(100)
    ]
    result = client.query(
        "SELECT count(), max(length(k)) FROM (SELECT arrayJoin({keys:Array(String)}) AS k)",
        parameters={"keys": keys},
    )
    assert result.result_rows == [(100, max(len(k) for k in keys))]


def test_forced_form_encoding_for_every_query(clickhouse_server):
    client = clickhouse_server.client(form_encode_query_params=True)
    result = client.query("SELECT {n:UInt32} + 1, {s:String}", parameters={"n": 41, "s": "it's"})
    assert result.result_rows == [(42, "it's")]
    client.command(
        "CREATE TABLE IF NOT EXISTS form_params (k String) ENGINE = MergeTree ORDER BY k"
    )
    client.query("INSERT INTO form_params SELECT {k:String}", parameters={"k": "x" * 5000})
    assert client.query(
        "SELECT count() FROM form_params WHERE k = {k:String}", parameters={"k": "x" * 5000}
    ).result_rows == [(1,)]
    client.command("DROP TABLE form_params")


def test_multipart_form_from_a_plain_http_client(clickhouse_server):
    response = httpx.post(
        clickhouse_server.url,
        params=_auth(clickhouse_server),
        files={
            "query": (None, "SELECT {a:UInt8} * 2,\n {b:String}"),
            "param_a": (None, "21"),
            "param_b": (None, "line1\\nline2"),  # values are TSV-escaped, as in the URL
            "max_threads": (None, "1"),
        },
    )
    assert response.status_code == 200, response.text
    assert response.text == "42\tline1\\nline2\n"


def test_urlencoded_body_is_data_not_a_form(clickhouse_server):
    """`curl -d` labels INSERT data and SQL bodies x-www-form-urlencoded; ClickHouse reads them
    as they are, and so must this server."""
    auth = _auth(clickhouse_server)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    table = f"urlenc_{uuid.uuid4().hex[:8]}"
    httpx.post(
        clickhouse_server.url,
        params=auth,
        headers=headers,
        content=f"CREATE TABLE {table} (a UInt8, b String) ENGINE = Memory",
    )
    response = httpx.post(
        clickhouse_server.url,
        headers=headers,
        content="1,x=y&z\n",
        params={**auth, "query": f"INSERT INTO {table} FORMAT CSV"},
    )
    assert response.status_code == 200, response.text
    response = httpx.post(
        clickhouse_server.url, params=auth, headers=headers, content=f"SELECT a, b FROM {table}"
    )
    assert response.text == "1\tx=y&z\n"
    httpx.post(clickhouse_server.url, params=auth, content=f"DROP TABLE {table}")
