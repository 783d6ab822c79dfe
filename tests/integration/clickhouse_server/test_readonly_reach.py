"""The read-only user (Superset's) reaches nothing beyond the warehouse's tables: no table
function that reads the server's files, the network or the object store, so a SQL Lab user
cannot read the stack's `.env`, the raw archive or another service through ClickHouse."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

REACHES = [
    "SELECT count() FROM file('/etc/hostname', 'LineAsString')",
    "SELECT count() FROM url('http://127.0.0.1:1/', 'LineAsString')",
    "SELECT count() FROM s3('http://127.0.0.1:1/bucket/key', 'LineAsString')",
    "SELECT count() FROM remote('127.0.0.1:9000', system.one)",
    "SELECT count() FROM executable('cat /etc/hostname', 'LineAsString', 'x String')",
]


@pytest.mark.parametrize("sql", REACHES, ids=lambda sql: sql.split(" FROM ")[1].split("(")[0])
def test_readonly_user_cannot_reach_files_network_or_storage(clickhouse_server, sql) -> None:
    reader = clickhouse_server.client(readonly=True)
    with pytest.raises(DatabaseError) as raised:
        reader.command(sql)
    assert raised.value.code == 164  # READONLY, before anything was opened
    assert reader.command("SELECT count() FROM numbers(3)") == 3  # plain reads still work
