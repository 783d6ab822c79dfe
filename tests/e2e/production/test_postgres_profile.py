"""The production configuration on this machine: `ollive up --profile postgres`.

PostgreSQL (Debian's server, started by the stack) holds Dagster's run/event/schedule storage
and the ingest key store shared by two ingest replicas writing one bucket. Checked: events sent
through both replicas reach staging and the facts exactly once (a retry that crosses replicas
included); a key revoked with `ollive keys` is refused by the replica that did not revoke it
within seconds; Dagster recorded its runs in Postgres; `ollive backup postgres` dumps, and a
dropped key store comes back from the dump with its keys as they were.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import clickhouse_connect
import httpx
import orjson
import pytest
from typer.testing import CliRunner

from ingest_api.keys.store import open_key_store
from ollive.cli import app as cli
from ollive.stack import postgres
from ollive.stack.private import private_settings
from ollive.stack.services import all_services
from ollive.stack.supervisor import Supervisor
from ollive_contract.settings import StackSettings
from ollive_contract.tables import MARTS_DATABASE, staging_table
from tests.fixtures.ingest_events import inference

SERVICE = "pg-profile-e2e"
PER_REPLICA = 40
RETRIED = 10  # events of replica 1's batch sent again through replica 2 (an SDK retry)
REVOCATION_BOUND_S = 10.0  # the store refreshes every 5 s
PIPELINE_TIMEOUT_S = 600.0  # a dbt build under a loaded machine (2 cores) takes minutes
# what the profile runs; Superset and the chatbot are left out (their start costs minutes)
SERVICES = (
    "postgres",
    "seaweedfs",
    "clickhouse",
    "ingest_api",
    "ingest_api_2",
    "dagster-code-server",
    "dagster-webserver",
    "dagster-daemon",
)


@dataclass
class PostgresStack:
    settings: StackSettings
    replicas: list[str]  # base URLs of the two ingest replicas
    started_s: dict[str, float]

    @property
    def postgres(self) -> postgres.PostgresServer:
        return postgres.server(self.settings)

    def clickhouse(self):
        ch = self.settings.clickhouse
        return clickhouse_connect.get_client(
            host=ch.host, port=ch.port, username=ch.user, password=ch.password.get_secret_value()
        )

    def env(self) -> dict[str, str]:
        """What `ollive` needs to find this stack (the profile it detects by itself)."""
        s = self.settings
        return {
            "OLLIVE_STACK_STATE_DIR": str(s.state_path),
            "OLLIVE_STACK_POSTGRES_PORT": str(s.postgres_port),
        }


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresStack]:
    settings = private_settings(tmp_path_factory.mktemp("pg-stack"), profile="postgres")
    specs = [spec for spec in all_services(settings) if spec.name in SERVICES]
    assert sorted(spec.name for spec in specs) == sorted(SERVICES)
    supervisor = Supervisor(settings.state_path, settings.host)
    started: dict[str, float] = {}

    def report(line: str) -> None:
        print(line)
        words = line.split()
        if len(words) > 3 and words[1:3] == ["up", "in"]:
            started[words[0]] = float(words[3].removesuffix("s"))

    try:
        supervisor.up(specs, report=report)
        replicas = [settings.ingest.url, f"http://127.0.0.1:{settings.ingest_replica_port}"]
        yield PostgresStack(settings, replicas, started)
    finally:
        supervisor.down(report=print)


def _post(url: str, key: str, events: list[dict]) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/logs",
        content=orjson.dumps(events),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=30,
    )


def _counts(ch, event_ids: list[str]) -> tuple[int, int, int]:
    """Distinct ids staged, fact rows and distinct ids in the facts, among `event_ids`."""

    def one(sql: str) -> int:
        try:
            return int(ch.command(sql, parameters={"ids": event_ids, "svc": SERVICE}) or 0)
        except Exception:  # a mart dbt has not built yet counts as empty
            return 0

    where = "where service = %(svc)s and event_id in %(ids)s"
    staged = one(f"select uniqExact(event_id) from {staging_table('inference')} {where}")
    facts = one(f"select count() from {MARTS_DATABASE}.fct_inferences {where}")
    distinct = one(f"select uniqExact(event_id) from {MARTS_DATABASE}.fct_inferences {where}")
    return staged, facts, distinct


def test_the_profile_runs_every_metadata_store_on_postgres(pg_stack: PostgresStack) -> None:
    print(f"start times (s): {pg_stack.started_s}")
    dagster_yaml = (pg_stack.settings.state_path / "dagster" / "dagster.yaml").read_text()
    assert "postgres_db" in dagster_yaml and "sqlite" not in dagster_yaml
    with postgres.connect(pg_stack.postgres) as conn:
        databases = {r[0] for r in conn.execute("select datname from pg_database")}
        listen = conn.execute("show listen_addresses").fetchone()[0]
    assert set(postgres.DATABASES) <= databases
    assert listen == "127.0.0.1"
    # the replicas keep no key store of their own
    assert not (pg_stack.settings.state_path / "ingest" / "keys.sqlite").exists()


def test_events_through_both_replicas_land_exactly_once(pg_stack: PostgresStack) -> None:
    key = pg_stack.settings.ingest.demo_api_key.get_secret_value()
    batches = [[inference(service=SERVICE) for _ in range(PER_REPLICA)] for _ in pg_stack.replicas]
    for url, batch in zip(pg_stack.replicas, batches, strict=True):
        for chunk in (batch[: PER_REPLICA // 2], batch[PER_REPLICA // 2 :]):
            assert _post(url, key, chunk).status_code == 202
    # an SDK retry whose first attempt was acknowledged lands on the other replica
    assert _post(pg_stack.replicas[1], key, batches[0][:RETRIED]).status_code == 202
    event_ids = [e["event_id"] for batch in batches for e in batch]
    want = (len(event_ids),) * 3

    ch = pg_stack.clickhouse()
    deadline = time.monotonic() + PIPELINE_TIMEOUT_S
    counts = _counts(ch, event_ids)
    while counts != want and time.monotonic() < deadline:
        time.sleep(2)
        counts = _counts(ch, event_ids)
    assert counts == want, f"(staged, fact rows, distinct in facts) {counts}, want {want}"
    # both replicas wrote objects to the one bucket
    keys = ch.command(
        f"select uniqExact(_object_key) from {staging_table('inference')} "
        f"where service = '{SERVICE}'"
    )
    assert int(keys) >= 2

    with postgres.connect(pg_stack.postgres, postgres.DAGSTER_DB) as conn:
        succeeded = conn.execute("select count(*) from runs where status = 'SUCCESS'").fetchone()
    assert succeeded[0] >= 1, "Dagster recorded no successful run in Postgres"


def test_a_key_revoked_through_the_cli_is_refused_by_every_replica(
    pg_stack: PostgresStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in pg_stack.env().items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "create", "tenant-b", "--label", "e2e"])
    assert created.exit_code == 0, created.output
    fields = dict(line.split(": ", 1) for line in created.output.splitlines())
    key, key_id = fields["key"], fields["key_id"]

    event = [inference(service=SERVICE + "-keys")]
    deadline = time.monotonic() + REVOCATION_BOUND_S
    accepted = [False, False]
    while not all(accepted) and time.monotonic() < deadline:
        accepted = [_post(url, key, event).status_code == 202 for url in pg_stack.replicas]
        time.sleep(0.2)
    assert all(accepted), "a key created in the shared store was not accepted by both replicas"

    revoked = runner.invoke(cli, ["keys", "revoke", key_id])
    assert revoked.exit_code == 0, revoked.output
    revoked_at = time.monotonic()
    refused_after: dict[str, float] = {}
    while len(refused_after) < len(pg_stack.replicas):
        for url in pg_stack.replicas:
            if url not in refused_after and _post(url, key, event).status_code == 401:
                refused_after[url] = time.monotonic() - revoked_at
        assert time.monotonic() - revoked_at < REVOCATION_BOUND_S, (
            f"revoked key still accepted after {REVOCATION_BOUND_S}s: refused by {refused_after}"
        )
        time.sleep(0.2)
    print(f"revocation seen after (s): {refused_after}")
    listed = runner.invoke(cli, ["keys", "list"])
    assert key_id in listed.output and "revoked" in listed.output and key not in listed.output


def test_backup_dumps_and_restores_the_key_store(
    pg_stack: PostgresStack, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    for name, value in pg_stack.env().items():
        monkeypatch.setenv(name, value)
    settings = postgres.with_postgres(pg_stack.settings)
    before = open_key_store(settings.ingest).list()
    assert before
    runner = CliRunner()
    dumped = runner.invoke(cli, ["backup", "postgres", "--out", str(tmp_path)])
    assert dumped.exit_code == 0, dumped.output
    (folder,) = tmp_path.iterdir()
    assert sorted(f.name for f in folder.iterdir()) == sorted(
        f"{db}.pgdump" for db in postgres.DATABASES
    )

    with postgres.connect(pg_stack.postgres) as conn:
        conn.execute(f'drop database "{postgres.KEYS_DB}" with (force)')
    with pytest.raises(Exception, match="does not exist"):
        open_key_store(settings.ingest)

    restored = runner.invoke(
        cli, ["backup", "restore-postgres", str(folder), "--only", postgres.KEYS_DB]
    )
    assert restored.exit_code == 0, restored.output
    store = open_key_store(settings.ingest, refresh_seconds=0)
    assert store.list() == before
    demo_key = pg_stack.settings.ingest.demo_api_key.get_secret_value()
    assert store.project_for(demo_key) == "demo"
    # the replicas reconnect to the restored store and keep accepting what it holds
    event = [inference(service=SERVICE + "-keys")]
    deadline = time.monotonic() + REVOCATION_BOUND_S
    while _post(pg_stack.replicas[1], demo_key, event).status_code != 202:
        assert time.monotonic() < deadline
        time.sleep(0.5)
