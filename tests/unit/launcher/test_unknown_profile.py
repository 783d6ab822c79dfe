"""`ollive up --profile <unknown>` answers with one line naming the valid profiles, not a
pydantic traceback; so does an unknown OLLIVE_STACK_PROFILE."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ollive.cli import app


@pytest.fixture()
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OLLIVE_STACK_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("OLLIVE_STACK_PROFILE", raising=False)
    return tmp_path


def _error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "ValidationError" not in result.output
    assert "validation error" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_an_unknown_profile_names_the_valid_ones(state: Path) -> None:
    result = CliRunner().invoke(app, ["up", "--profile", "kubernetes"])
    message = _error(result)
    assert message == "Error: unknown profile 'kubernetes'; valid profiles: embedded, postgres"
    assert not any(state.iterdir()), "nothing is started or written"


def test_an_unknown_profile_from_the_environment_too(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLIVE_STACK_PROFILE", "prod")
    message = _error(CliRunner().invoke(app, ["status"]))
    assert message == "Error: unknown profile 'prod'; valid profiles: embedded, postgres"
