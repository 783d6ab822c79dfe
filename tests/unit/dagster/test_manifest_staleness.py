"""The code location re-parses dbt when a project file is newer than the manifest, so a new
model is never hidden by a manifest from before it."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_project.transformation.assets import _manifest_is_stale


def _touch(path: Path, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    os.utime(path, (mtime, mtime))


def test_missing_older_and_newer_manifests(tmp_path: Path) -> None:
    manifest = tmp_path / "target" / "manifest.json"
    _touch(tmp_path / "dbt_project.yml", 1_000)
    _touch(tmp_path / "models" / "marts" / "fct_a.sql", 1_000)
    assert _manifest_is_stale(tmp_path, manifest)
    _touch(manifest, 2_000)
    assert not _manifest_is_stale(tmp_path, manifest)
    _touch(tmp_path / "models" / "marts" / "anomalies" / "new_model.sql", 3_000)
    assert _manifest_is_stale(tmp_path, manifest)
