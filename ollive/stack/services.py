"""The services of the embedded stack, in start order, built from one `StackSettings`.

Each child process gets every setting spelled out (paths made absolute), so every service reads
the same configuration the CLI read. The `postgres` profile adds a PostgreSQL (Dagster's
storage, Superset's metadata, the key store) and a second ingest replica on the same bucket.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ollive.stack import dagster_services, postgres, superset_service
from ollive.stack.environment import child_env
from ollive.stack.health import http_ok
from ollive.stack.process import ServiceSpec
from ollive.stack.seaweedfs import S3Credentials, SeaweedPorts, seaweed_spec
from ollive_contract.settings import StackSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def s3_credentials(settings: StackSettings) -> S3Credentials:
    return S3Credentials(
        endpoint=settings.s3.endpoint,
        access_key=settings.s3.access_key,
        secret_key=settings.s3.secret_key.get_secret_value(),
        bucket=settings.s3.bucket,
        region=settings.s3.region,
    )


def _python(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def seaweedfs(settings: StackSettings) -> ServiceSpec:
    return seaweed_spec(
        settings.state_path,
        settings.host,
        SeaweedPorts(
            s3=settings.s3.port,
            master=settings.seaweedfs_master_port,
            volume=settings.seaweedfs_volume_port,
            filer=settings.seaweedfs_filer_port,
        ),
        s3_credentials(settings),
    )


def clickhouse(settings: StackSettings) -> ServiceSpec:
    url = settings.clickhouse.url
    return ServiceSpec(
        name="clickhouse",
        argv=_python(
            "clickhouse_server",
            f"--path={settings.clickhouse_data_path}",
            f"--host={settings.clickhouse.host}",
            f"--port={settings.clickhouse.port}",
        ),
        ports=[settings.clickhouse.port],
        health=lambda: http_ok(f"{url}/ping"),
        url=url,
        env=child_env(settings),
        cwd=PROJECT_ROOT,
        stop_timeout_s=40.0,
    )


def ingest_api(settings: StackSettings) -> ServiceSpec:
    url = settings.ingest.url
    return ServiceSpec(
        name="ingest_api",
        wave=1,
        argv=_python("ingest_api"),
        ports=[settings.ingest.port],
        health=lambda: http_ok(f"{url}/readyz"),
        url=f"{url}/docs",
        env=child_env(settings),
        cwd=PROJECT_ROOT,
        start_timeout_s=120.0,
        stop_timeout_s=40.0,
    )


def ingest_replica(settings: StackSettings) -> ServiceSpec:
    """A second ingest API on its own port and spool, sharing the bucket and the key store."""
    spec = ingest_api(settings)
    url = f"http://{settings.ingest.host}:{settings.ingest_replica_port}"
    spec.name = "ingest_api_2"
    spec.ports = [settings.ingest_replica_port]
    spec.health = lambda: http_ok(f"{url}/readyz")
    spec.url = f"{url}/docs"
    spec.env = {
        **spec.env,
        "OLLIVE_INGEST_PORT": str(settings.ingest_replica_port),
        "OLLIVE_INGEST_SPOOL_DIR": str(settings.state_path / "ingest-2" / "spool"),
    }
    return spec


def chatbot(settings: StackSettings) -> ServiceSpec:
    url = f"http://{settings.chatbot.host}:{settings.chatbot.port}"
    env = {
        **child_env(settings),
        # the SDK's own variables: the chatbot's events go to this stack's ingest API
        "OLLIVE_ENDPOINT": settings.ingest.url,
        "OLLIVE_API_KEY": settings.ingest.demo_api_key.get_secret_value(),
    }
    return ServiceSpec(
        name="chatbot",
        wave=2,
        argv=_python("chatbot"),
        ports=[settings.chatbot.port],
        health=lambda: http_ok(f"{url}/healthz"),
        url=url,
        env=env,
        cwd=PROJECT_ROOT,
    )


def all_services(settings: StackSettings) -> list[ServiceSpec]:
    """Every service in start order (Superset only when its virtualenv is installed)."""
    if settings.profile == "postgres":
        return postgres_profile(settings)
    specs = [seaweedfs(settings), clickhouse(settings), ingest_api(settings)]

    specs += dagster_services.specs(settings)
    specs += superset_service.specs(settings)
    return [*specs, chatbot(settings)]


def postgres_profile(settings: StackSettings) -> list[ServiceSpec]:
    """The production configuration on this machine: the embedded services over PostgreSQL,
    with two ingest replicas."""
    settings = postgres.with_postgres(settings)
    specs = [postgres.spec(settings), seaweedfs(settings), clickhouse(settings)]
    specs += [ingest_api(settings), ingest_replica(settings)]
    specs += dagster_services.specs(settings)
    specs += superset_service.specs(settings)
    return [*specs, chatbot(settings)]
