"""Imports point one way, as the import-linter contracts in pyproject.toml say; a wrong-way
import in a copy of the tree breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "ollive",
    "clickhouse_server",
    "ingest_api",
    "dagster_project",
    "chatbot",
    "superset_config",
    "ollive_contract",
]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": f"{root}:{root / 'sdk' / 'src'}", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=root, env=env, capture_output=True, text=True
    )


def _copy_tree(tmp_path: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv", "__pycache__", "bundle", "*.lock")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copytree(ROOT / "sdk" / "src", tmp_path / "sdk" / "src", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layer_contracts_hold() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_component_importing_another_breaks_them(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    assert _lint(root).returncode == 0
    (root / "ingest_api" / "wrong_way.py").write_text("import dagster_project.pools\n")
    done = _lint(root)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout and "ingest_api.wrong_way" in done.stdout


def test_the_contract_importing_a_component_breaks_them(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    (root / "ollive_contract" / "wrong_way.py").write_text("import ingest_api\n")
    done = _lint(root)
    assert done.returncode != 0
    assert "ollive_contract.wrong_way" in done.stdout
