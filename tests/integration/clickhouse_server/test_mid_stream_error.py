"""A query that fails after its response began streaming: the server ends the body with
ClickHouse's tagged `__exception__` block and breaks the chunked stream (no last chunk), so a
client can tell a truncated result from a complete one."""

from __future__ import annotations

import re

import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, StreamFailureError

# Fails in the block holding row 150 000, after ~30 MB of rows: past even the 16 MiB the
# server buffers before streaming with wait_end_of_query=1.
FAILING = (
    "SELECT number, repeat('x', 200) AS pad FROM numbers(400000)"
    " WHERE throwIf(number = 150000, 'boom at 150000') = 0"
)
SETTINGS = {"max_block_size": "10000", "max_threads": "1"}


def test_raw_http_sees_the_tagged_block_and_a_broken_body(clickhouse_server):
    received = bytearray()
    with httpx.stream(
        "POST",
        clickhouse_server.url,
        params=SETTINGS,
        content=(FAILING + " FORMAT TSV").encode(),
        auth=(clickhouse_server.user, clickhouse_server.password),
        headers={"Accept-Encoding": "identity"},
        timeout=120,
    ) as response:
        assert response.status_code == 200  # headers went out before the failure
        tag = response.headers["X-ClickHouse-Exception-Tag"]
        assert re.fullmatch(r"[A-Za-z0-9]{16}", tag)
        with pytest.raises(httpx.RemoteProtocolError):  # no terminating chunk
            for chunk in response.iter_raw():
                received += chunk
    body = bytes(received)
    assert body.count(b"\n") > 10_000  # rows streamed before the error
    block = re.search(
        rb"\r\n__exception__\r\n"
        + tag.encode()
        + rb"\r\n(.*\n)(\d+) "
        + tag.encode()
        + rb"\r\n__exception__\r\n$",
        body,
        re.S,
    )
    assert block is not None, body[-400:]
    message, length = block.group(1), int(block.group(2))
    assert message.startswith(b"Code: 395. DB::Exception: boom at 150000")
    assert message.endswith(b"\n") and len(message) == length


def test_a_complete_stream_carries_no_block(clickhouse_server):
    with httpx.stream(
        "POST",
        clickhouse_server.url,
        params=SETTINGS,
        content=b"SELECT number, repeat('x', 200) FROM numbers(200000) FORMAT TSV",
        auth=(clickhouse_server.user, clickhouse_server.password),
        headers={"Accept-Encoding": "identity"},
        timeout=120,
    ) as response:
        body = response.read()
    assert b"__exception__" not in body
    assert body.count(b"\n") == 200_000


def test_clickhouse_connect_raises_instead_of_returning_a_truncated_result(clickhouse_server):
    client = clickhouse_server.client(settings=SETTINGS)
    with pytest.raises(DatabaseError) as caught:
        _ = client.query(FAILING).result_rows  # the rows are read lazily
    assert "boom at 150000" in str(caught.value)
    # the client and the server are fine afterwards
    assert client.query("SELECT 1").result_rows == [(1,)]


def test_without_wait_end_of_query_the_first_block_starts_the_answer(clickhouse_server):
    """As ClickHouse flushes every block: a failure after 100 one-row blocks is in-band
    (clickhouse-connect's own test of the protocol)."""
    client = clickhouse_server.client()
    with pytest.raises(StreamFailureError) as caught:
        _ = client.query(
            "SELECT sleepEachRow(0.001), throwIf(number = 100) FROM numbers(200)",
            settings={"max_block_size": 1, "wait_end_of_query": 0},
        ).result_set
    assert "Value passed to 'throwIf' function is non-zero" in str(caught.value)
    assert client.command("SELECT 1") == 1
