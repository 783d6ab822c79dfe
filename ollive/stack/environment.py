"""The environment every child service of the embedded stack starts with."""

from __future__ import annotations

from ollive_contract.settings import StackSettings, settings_env


def child_env(settings: StackSettings) -> dict[str, str]:
    """Every setting spelled out, so a child sees exactly the configuration the CLI resolved."""
    return {**settings_env(settings), "PYTHONUNBUFFERED": "1"}
