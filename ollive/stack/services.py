"""The services of the embedded stack, in start order, built from one `OlliveSettings`.

Each child process gets the same environment plus `OLLIVE_STATE_DIR` made absolute, so every
service reads the same configuration the CLI read.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ollive.settings import OlliveSettings, settings_env
from ollive.stack.health import http_ok
from ollive.stack.process import ServiceSpec
from ollive.stack.seaweedfs import S3Credentials, SeaweedPorts, seaweed_spec

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def s3_credentials(settings: OlliveSettings) -> S3Credentials:
    return S3Credentials(
        endpoint=settings.s3_url,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        bucket=settings.s3_bucket,
        region=settings.s3_region,
    )


def child_env(settings: OlliveSettings) -> dict[str, str]:
    """Every setting spelled out, so a child sees exactly the configuration the CLI resolved."""
    return {**settings_env(settings), "PYTHONUNBUFFERED": "1"}


def _python(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def seaweedfs(settings: OlliveSettings) -> ServiceSpec:
    return seaweed_spec(
        settings.state_path,
        settings.host,
        SeaweedPorts(
            s3=settings.s3_port,
            master=settings.seaweedfs_master_port,
            volume=settings.seaweedfs_volume_port,
            filer=settings.seaweedfs_filer_port,
        ),
        s3_credentials(settings),
    )


def clickhouse(settings: OlliveSettings) -> ServiceSpec:
    url = settings.clickhouse_url
    return ServiceSpec(
        name="clickhouse",
        argv=_python(
            "ollive.clickhouse_server",
            f"--path={settings.clickhouse_data_path}",
            f"--host={settings.clickhouse_host}",
            f"--port={settings.clickhouse_port}",
        ),
        ports=[settings.clickhouse_port],
        health=lambda: http_ok(f"{url}/ping"),
        url=url,
        env=child_env(settings),
        cwd=PROJECT_ROOT,
        stop_timeout_s=40.0,
    )


def ingest_api(settings: OlliveSettings) -> ServiceSpec:
    url = settings.ingest_url
    return ServiceSpec(
        name="ingest_api",
        wave=1,
        argv=_python("ingest_api"),
        ports=[settings.ingest_port],
        health=lambda: http_ok(f"{url}/readyz"),
        url=f"{url}/docs",
        env=child_env(settings),
        cwd=PROJECT_ROOT,
        start_timeout_s=120.0,
        stop_timeout_s=40.0,
    )


def chatbot(settings: OlliveSettings) -> ServiceSpec:
    url = f"http://{settings.host}:{settings.chatbot_port}"
    env = {
        **child_env(settings),
        "OLLIVE_CHATBOT_HOST": settings.host,
        "OLLIVE_CHATBOT_PORT": str(settings.chatbot_port),
        "OLLIVE_ENDPOINT": settings.ingest_url,
        "OLLIVE_API_KEY": settings.demo_api_key.get_secret_value(),
        "OLLIVE_SERVICE": "chatbot",
    }
    return ServiceSpec(
        name="chatbot",
        wave=2,
        argv=_python("chatbot"),
        ports=[settings.chatbot_port],
        health=lambda: http_ok(f"{url}/healthz"),
        url=url,
        env=env,
        cwd=PROJECT_ROOT,
    )


def all_services(settings: OlliveSettings) -> list[ServiceSpec]:
    """Every service in start order; later issues' services join when their package exists."""
    specs = [seaweedfs(settings), clickhouse(settings), ingest_api(settings)]
    from ollive.stack import dagster_services  # imports dagster: only when the stack is built

    specs += dagster_services.specs(settings)
    specs += _optional("ollive.stack.superset_service", settings)
    return [*specs, chatbot(settings)]


def _optional(module: str, settings: OlliveSettings) -> list[ServiceSpec]:
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name != module:
            raise
        return []
    return list(mod.specs(settings))
