"""Answers that clients read beyond the rows: the summary and query id of commands, the session
time zone, queries that are not valid UTF-8, and multi-statement requests refused as
ClickHouse refuses them."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError
from clickhouse_connect.driver.summary import QuerySummary


def _post(server, sql: bytes | str, **params: str) -> httpx.Response:
    return httpx.post(
        server.url,
        params=params,
        content=sql.encode() if isinstance(sql, str) else sql,
        auth=(server.user, server.password),
    )


def test_a_command_answers_summary_and_query_id_but_no_format(clickhouse_server):
    table = f"cmd_{uuid.uuid4().hex[:8]}"
    query_id = f"ddl-{uuid.uuid4()}"
    response = _post(
        clickhouse_server,
        f"CREATE TABLE {table} (x UInt8) ENGINE = MergeTree ORDER BY x",
        query_id=query_id,
    )
    assert response.status_code == 200 and response.content == b""
    assert response.headers["X-ClickHouse-Query-Id"] == query_id
    assert json.loads(response.headers["X-ClickHouse-Summary"])["written_rows"] == "0"
    assert "X-ClickHouse-Format" not in response.headers  # a command has no result format
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    insert = _post(clickhouse_server, f"INSERT INTO {table} SELECT number FROM numbers(5)")
    assert json.loads(insert.headers["X-ClickHouse-Summary"])["written_rows"] == "5"
    assert "X-ClickHouse-Format" not in insert.headers
    select = _post(clickhouse_server, f"SELECT count() FROM {table}")
    assert select.headers["X-ClickHouse-Format"] == "TabSeparated" and select.text == "5\n"
    _post(clickhouse_server, f"DROP TABLE {table}")


def test_clickhouse_connect_gets_a_summary_from_commands(clickhouse_server):
    client = clickhouse_server.client()
    summary = client.command("DROP TABLE IF EXISTS no_such_table_here")
    assert isinstance(summary, QuerySummary)
    assert summary.query_id()
    as_query = client.query("SET count_distinct_implementation = 'uniq'")
    assert "query_id" in as_query.first_item


def test_session_timezone_header_follows_the_session(clickhouse_server):
    default = _post(clickhouse_server, "SELECT timezone()")
    assert default.headers["X-ClickHouse-Timezone"] + "\n" == default.text
    by_url = _post(clickhouse_server, "SELECT 1", session_timezone="America/Denver")
    assert by_url.headers["X-ClickHouse-Timezone"] == "America/Denver"
    session = {"session_id": f"tz-{uuid.uuid4()}"}
    _post(clickhouse_server, "SET session_timezone = 'Asia/Tokyo'", **session)
    later = _post(clickhouse_server, "SELECT timezone()", **session)
    assert later.text == "Asia/Tokyo\n"
    assert later.headers["X-ClickHouse-Timezone"] == "Asia/Tokyo"


def test_a_query_with_binary_literals_runs(clickhouse_server):
    response = _post(clickhouse_server, b"SELECT length('\xff\xfe\x00'), hex('\xff')")
    assert response.status_code == 200, response.text
    assert response.text == "3\tFF\n"
    client = clickhouse_server.client()
    raw = client.raw_query(
        "SELECT col2, col1 FROM format(CSVWithNames, $xx$)",
        parameters={"$xx$": b"col1,col2\n100,700"},
    )
    assert raw == b"700\t100\n"
    rows = client.query(
        "SELECT length($b$) AS n", parameters={"$b$": bytes(range(256))}
    ).result_rows
    assert rows == [(256,)]


@pytest.mark.parametrize(
    ("sql", "position", "token"),
    [
        ("SELECT 1; SELECT 2", 11, "SELECT"),
        ("CREATE TABLE x (a UInt8) ENGINE = Memory;DROP TABLE x", 42, "DROP"),
    ],
)
def test_multi_statements_are_refused_like_clickhouse(clickhouse_server, sql, position, token):
    response = _post(clickhouse_server, sql)
    assert response.status_code == 400
    assert response.headers["X-ClickHouse-Exception-Code"] == "62"
    assert response.text.startswith(
        "Code: 62. DB::Exception: Syntax error (Multi-statements are not allowed): "
        f"failed at position {position} ({token}): {sql[position - 1 :]}"
    )
    assert "(SYNTAX_ERROR)" in response.text


def test_trailing_semicolons_and_comments_are_one_statement(clickhouse_server):
    assert _post(clickhouse_server, "SELECT 1;").text == "1\n"
    assert _post(clickhouse_server, "SELECT 1; -- done\n;").text == "1\n"
    assert _post(clickhouse_server, "SELECT ';' || 'x'").text == ";x\n"
    with pytest.raises(DatabaseError) as caught:
        clickhouse_server.client().command("SELECT 1; SELECT 2")
    assert "Multi-statements are not allowed" in str(caught.value)


def test_semicolons_in_heredocs_and_nested_comments_are_one_statement(clickhouse_server):
    """dbt-clickhouse writes model docs as `$dbt_comment_literal_block$ … $…$` heredocs, and
    docs contain `;`; ClickHouse's lexer reads heredocs, nested and `//` comments whole."""
    assert _post(clickhouse_server, "SELECT $doc$a; b$doc$").text == "a; b\n"
    assert _post(clickhouse_server, "SELECT $$x;$$ /* /* ; */ ; */ // ;\n;").text == "x;\n"
    assert _post(clickhouse_server, "SELECT 1 AS a$b; -- $x$;").text == "1\n"
    client = clickhouse_server.client()
    client.command("CREATE TABLE IF NOT EXISTS heredoc_t (a UInt8) ENGINE = MergeTree ORDER BY a")
    comment = "with 'single quotes' as well as other;\n'''abc123'''\nSome $lbl$ and $$ dollars $$"
    client.command(f"ALTER TABLE heredoc_t MODIFY COMMENT $dbt_block${comment}$dbt_block$")
    stored = client.query("SELECT comment FROM system.tables WHERE name = 'heredoc_t'")
    assert stored.result_rows == [(comment,)]
    response = _post(clickhouse_server, "SELECT $t$;$t$; SELECT 2")
    assert response.headers["X-ClickHouse-Exception-Code"] == "62"
    assert "failed at position 17 (SELECT)" in response.text
