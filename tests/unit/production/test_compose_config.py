"""docker-compose.yml as an operator runs it: `docker compose config` with a `.env` from
`ollive prod init` or from `.env.example`, and what each service then receives."""

from __future__ import annotations

import re
from pathlib import Path

import chdb
import pytest

from ollive import env_example
from ollive.production import env_file
from ollive.production.secrets import generate, public_values
from tests.unit.production.compose import ROOT, compose_config, resolved

ONE_SHOT = {"init"}


@pytest.fixture(scope="module")
def prod_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prod") / ".env"
    env_file.write(path, env_file.render())
    return path


@pytest.fixture(scope="module")
def stack(prod_env: Path) -> dict:
    return resolved(prod_env)


def test_compose_config_passes_with_the_generated_env(stack: dict) -> None:
    assert set(stack["services"]) == {
        "s3",
        "clickhouse",
        "postgres",
        "init",
        "ingest_api",
        "dagster-code-server",
        "dagster-webserver",
        "dagster-daemon",
        "superset",
        "chatbot",
    }


def test_env_example_with_generated_secrets_is_enough(tmp_path: Path) -> None:
    """Every variable compose requires is in .env.example; filled in, compose accepts it."""
    required = {v.name for v in env_file.compose_variables() if v.required}
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", env_example.render(), re.MULTILINE))
    assert required - listed == set()
    example = env_file.read(ROOT / ".env.example")
    public = public_values()
    lines = [
        f"{name}={generate(name) if name in required and (not value or value in public) else value}"
        for name, value in example.items()
    ]
    lines += [f"{name}={generate(name)}" for name in sorted(required - set(example))]
    (tmp_path / ".env").write_text("\n".join(lines))
    assert compose_config(tmp_path / ".env").returncode == 0


def test_compose_refuses_to_start_without_real_secrets(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    done = compose_config(tmp_path / ".env")
    assert done.returncode != 0
    assert "make prod-env" in done.stderr


def test_without_the_bundled_s3_server_the_stack_still_resolves(tmp_path: Path) -> None:
    """Another S3 (AWS, MinIO, ...): drop the `seaweedfs` profile and set the endpoints."""
    env = env_file.render().replace("COMPOSE_PROFILES=seaweedfs\n", "COMPOSE_PROFILES=\n")
    env += "OLLIVE_S3_ENDPOINT=https://s3.eu-west-1.amazonaws.com\n"
    (tmp_path / ".env").write_text(env)
    services = resolved(tmp_path / ".env")["services"]
    assert "s3" not in services
    assert services["ingest_api"]["environment"]["OLLIVE_S3_ENDPOINT"].startswith("https://s3.eu")


def test_each_service_gets_only_the_secrets_it_uses(prod_env: Path, stack: dict) -> None:
    secrets = env_file.read(prod_env)
    services = stack["services"]
    assert not any("env_file" in s for s in services.values()), "no service gets the whole .env"

    def holds(service: str) -> set[str]:
        values = set(services[service].get("environment", {}).values())
        given = {n for n, v in secrets.items() if len(v) >= 16 and any(v in x for x in values)}
        return {n for n in given if not n.endswith("ACCESS_KEY")}

    rw_clickhouse, root = "OLLIVE_CLICKHOUSE_PASSWORD", "OLLIVE_STORE_ROOT_SECRET_KEY"
    assert holds("clickhouse") == {rw_clickhouse, "OLLIVE_CLICKHOUSE_READONLY_PASSWORD"}
    assert holds("superset") == {
        "OLLIVE_SUPERSET_SECRET_KEY",
        "OLLIVE_SUPERSET_ADMIN_PASSWORD",
        "OLLIVE_POSTGRES_PASSWORD",
        "OLLIVE_CLICKHOUSE_READONLY_PASSWORD",
    }
    # the Postgres password is in the key store's URL (OLLIVE_INGEST_KEYS_DATABASE_URL)
    assert holds("ingest_api") == {
        "OLLIVE_STORE_INGEST_SECRET_KEY",
        "OLLIVE_INGEST_USER_ID_KEY",
        "OLLIVE_POSTGRES_PASSWORD",
    }
    assert holds("chatbot") == {"OLLIVE_API_KEY"}
    assert holds("dagster-webserver") == holds("dagster-daemon") == {"OLLIVE_POSTGRES_PASSWORD"}
    assert holds("dagster-code-server") == {
        "OLLIVE_S3_SECRET_KEY",
        rw_clickhouse,
        "OLLIVE_PIPELINE_USER_ID_SALT",
        "OLLIVE_POSTGRES_PASSWORD",
    }
    assert holds("init") == {root, "OLLIVE_API_KEY", "OLLIVE_POSTGRES_PASSWORD"}
    assert {name for name, s in services.items() if root in _values(s, secrets)} == {"s3", "init"}


def _values(service: dict, secrets: dict[str, str]) -> set[str]:
    values = set(service.get("environment", {}).values())
    return {n for n, v in secrets.items() if v in values}


def test_long_running_services_restart_and_have_limits_and_healthchecks(stack: dict) -> None:
    for name, service in stack["services"].items():
        if name in ONE_SHOT:
            assert service.get("restart") in (None, "no"), name
            continue
        assert service.get("restart") == "unless-stopped", name
        assert service.get("mem_limit"), name
        assert service.get("healthcheck", {}).get("test"), name


def test_the_ingest_api_waits_for_the_init_service(stack: dict) -> None:
    after = stack["services"]["ingest_api"]["depends_on"]
    assert after["init"]["condition"] == "service_completed_successfully"
    assert stack["services"]["ingest_api"]["environment"]["OLLIVE_INGEST_PROVISION_DEMO_KEY"] == (
        "false"
    ), "the public demo key is never valid in production"


def test_ingest_replicas_share_the_postgres_key_store(prod_env: Path, stack: dict) -> None:
    """`docker compose up --scale ingest_api=N`: every replica, and the init service that
    registers the chatbot's key, use one key store in the compose Postgres; no replica keeps
    a SQLite file, and each has a spool of its own (an anonymous volume, not a shared one)."""
    password = env_file.read(prod_env)["OLLIVE_POSTGRES_PASSWORD"]
    url = f"postgresql://ollive:{password}@postgres:5432/ingest"
    for name in ("init", "ingest_api"):
        service = stack["services"][name]
        assert service["environment"]["OLLIVE_INGEST_KEYS_DATABASE_URL"] == url, name
        assert "OLLIVE_INGEST_KEYS_DB" not in service["environment"], name
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        assert not any(v.get("source") for v in service.get("volumes", [])), name
    spool = stack["services"]["ingest_api"]["environment"]["OLLIVE_INGEST_SPOOL_DIR"]
    assert [v["target"] for v in stack["services"]["ingest_api"]["volumes"]] == [spool]
    init_sql = (ROOT / "docker" / "postgres" / "init.sql").read_text()
    assert re.search(r"^CREATE DATABASE ingest;$", init_sql, re.MULTILINE)
    assert "ingest-data" not in stack.get("volumes", {})


def test_images_are_pinned_and_pullable(stack: dict) -> None:
    images = {n: s["image"] for n, s in stack["services"].items() if "build" not in s}
    for name, image in images.items():
        assert ":" in image and not image.endswith(":latest"), name
        assert not image.startswith("minio/"), "MinIO's images are no longer published"
    engine = ".".join(chdb.__version__.split(".")[:2])
    assert images["clickhouse"] == f"clickhouse/clickhouse-server:{engine}", (
        "production runs the embedded engine's release line"
    )


def test_the_pipeline_builds_the_production_dbt_target(stack: dict) -> None:
    env = stack["services"]["dagster-code-server"]["environment"]
    assert env["OLLIVE_PIPELINE_DBT_TARGET"] == "production"
    assert env["OLLIVE_CLICKHOUSE_SECURE"] == "false", "the production profile defaults to https"
