"""One settings registry: every name the platform reads is declared once, and every file that
names a variable (.env.example, docker-compose.yml, the dbt profile, Superset's config) agrees."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from ollive_sdk.config import ENV_VARS as SDK_ENV_VARS

from ollive import env_example
from ollive_contract.settings import (
    REGISTRY,
    ClickHouseSettings,
    ObjectStoreSettings,
    PipelineSettings,
    env_name,
)

ROOT = Path(__file__).resolve().parents[2]
# Names Dagster, the images and compose itself read; not Ollive's settings.
FOREIGN = {"DAGSTER_PG_URL", "DAGSTER_HOME", "SUPERSET_CONFIG_PATH"}


def _declared() -> list[str]:
    return [
        env_name(settings, field)
        for settings in REGISTRY
        for field, info in settings.model_fields.items()
        if not (isinstance(info.annotation, type) and hasattr(info.annotation, "model_config"))
    ]


KNOWN = (
    set(_declared())
    | set(SDK_ENV_VARS)
    | set(env_example.EXTRA_SECTIONS["docker compose only (docker-compose.yml interpolates them)"])
)


def _ours(names: set[str]) -> set[str]:
    return {n for n in names if n.startswith(("OLLIVE_", "GEMINI_"))}


def test_every_variable_is_declared_by_exactly_one_class() -> None:
    twice = {name for name, count in Counter(_declared()).items() if count > 1}
    assert twice == set()
    prefixes = [s.model_config["env_prefix"] for s in REGISTRY]
    assert len(set(prefixes)) == len(prefixes), "one prefix per reader"


def test_env_example_is_generated_from_the_registry() -> None:
    assert (ROOT / ".env.example").read_text() == env_example.render(), "run `make env-example`"


def test_compose_names_only_declared_variables() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    services = yaml.safe_load(text)["services"]
    passed = {name for s in services.values() for name in (s.get("environment") or {})}
    unknown = _ours(interpolated | passed) - KNOWN - FOREIGN
    assert unknown == set()


@pytest.mark.parametrize("path", ["dbt_project/profiles.yml", "dbt_project/dbt_project.yml"])
def test_dbt_reads_the_registrys_variables(path: str) -> None:
    names = set(re.findall(r"env_var\('([A-Z0-9_]+)'", (ROOT / path).read_text()))
    assert names, path
    assert names - KNOWN == set()
    assert not {n for n in names if n.startswith("DBT_")}, "the profile reads OLLIVE_* names"


@pytest.mark.parametrize(
    "path", ["superset_config/superset_config.py", "superset_config/bootstrap.py"]
)
def test_superset_reads_the_registrys_variables(path: str) -> None:
    names = set(re.findall(r"""get\(\s*["']([A-Z0-9_]+)["']""", (ROOT / path).read_text()))
    assert names, path
    assert _ours(names) - KNOWN == set()


def test_production_target_refuses_the_public_salt_and_secrets() -> None:
    with pytest.raises(ValueError, match="OLLIVE_PIPELINE_USER_ID_SALT"):
        PipelineSettings(dbt_target="production")
    with pytest.raises(ValueError, match="OLLIVE_PIPELINE_USER_ID_SALT"):
        PipelineSettings(dbt_target="production", user_id_salt="")
    own = {"user_id_salt": "s3cret-of-our-own"}
    with pytest.raises(ValueError, match="OLLIVE_S3_SECRET_KEY, OLLIVE_CLICKHOUSE_PASSWORD"):
        PipelineSettings(dbt_target="production", **own)
    own |= {"s3": ObjectStoreSettings(secret_key="s3-of-our-own")}
    with pytest.raises(ValueError, match="OLLIVE_CLICKHOUSE_PASSWORD"):
        PipelineSettings(dbt_target="production", **own)
    own |= {"clickhouse": ClickHouseSettings(password="ch-of-our-own")}
    assert PipelineSettings(dbt_target="production", **own).dbt_target == "production"


def test_dbt_reads_the_lookback_with_the_registrys_default() -> None:
    text = (ROOT / "dbt_project/dbt_project.yml").read_text()
    lookback = r"env_var\('OLLIVE_PIPELINE_LATE_DATA_LOOKBACK_MINUTES', '(\d+)'\)"
    [default] = re.findall(lookback, text)
    assert int(default) == PipelineSettings.model_fields["late_data_lookback_minutes"].default
