"""The compose init service against a real PostgreSQL (Debian's server, as the `postgres`
profile runs it): on a data volume that predates a database, `first_start` creates the missing
one, leaves the others and their data alone, and does nothing on the next start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ollive.production.first_start import ensure_databases
from ollive.stack import postgres
from tests.fixtures.postgres import running_postgres


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[postgres.PostgresServer]:
    with running_postgres(tmp_path_factory.mktemp("pg")) as (server, _):
        yield server


def test_a_missing_database_is_created_and_the_others_kept(pg: postgres.PostgresServer) -> None:
    with postgres.connect(pg, postgres.DAGSTER_DB) as conn:
        conn.execute("create table kept (n int)")
        conn.execute("insert into kept values (7)")
    with postgres.connect(pg) as conn:  # a volume from before the key store had a database
        conn.execute(f'drop database "{postgres.KEYS_DB}"')

    url = pg.url(postgres.KEYS_DB)  # what the init service is given: the key store's URL
    assert ensure_databases(url) == [postgres.KEYS_DB]
    assert ensure_databases(url) == []

    with postgres.connect(pg) as conn:
        names = {row[0] for row in conn.execute("select datname from pg_database")}
    assert set(postgres.DATABASES) <= names
    with postgres.connect(pg, postgres.DAGSTER_DB) as conn:
        assert conn.execute("select n from kept").fetchall() == [(7,)]
    with postgres.connect(pg, postgres.KEYS_DB) as conn:  # reachable with the same role
        assert conn.execute("select current_database()").fetchone() == (postgres.KEYS_DB,)
