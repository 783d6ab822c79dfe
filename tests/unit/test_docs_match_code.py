"""Docs stay true to the code: the committed JSON Schema is the models'."""

from __future__ import annotations

from pathlib import Path

from ollive_contract import json_schema

ROOT = Path(__file__).resolve().parents[2]


def test_committed_json_schema_matches_the_models() -> None:
    assert json_schema.SCHEMA_PATH.read_text() == json_schema.render()
