"""Docs stay true to the code: every setting is in .env.example, the JSON Schema is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from dagster_project.settings import PipelineSettings
from ingest_api.settings import IngestSettings
from ollive.contract import json_schema
from ollive.settings import OlliveSettings

ROOT = Path(__file__).resolve().parents[2]


def _documented_env_vars() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


@pytest.mark.parametrize("settings_class", [OlliveSettings, PipelineSettings, IngestSettings])
def test_every_setting_is_in_env_example(settings_class: type[BaseSettings]) -> None:
    prefix = settings_class.model_config["env_prefix"]
    expected = {
        f"{prefix}{name}".upper()
        for name, field in settings_class.model_fields.items()
        if not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseSettings))
    }
    assert expected - _documented_env_vars() == set()


def test_committed_json_schema_matches_the_models() -> None:
    assert json_schema.SCHEMA_PATH.read_text() == json_schema.render()
