"""`ollive keys` manages the embedded stack's own key store, the one the ingest API reads."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ingest_api.keys.store import KeyStore
from ollive.cli import app


def test_create_list_revoke_in_the_stacks_key_store(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OLLIVE_STACK_STATE_DIR", str(tmp_path))
    runner = CliRunner()

    created = runner.invoke(app, ["keys", "create", "acme", "--label", "checkout"])
    assert created.exit_code == 0, created.output
    fields = dict(line.split(": ", 1) for line in created.output.splitlines())
    assert fields["project"] == "acme" and fields["key"].startswith("olk_")

    store = KeyStore(tmp_path / "ingest" / "keys.sqlite")
    assert store.project_for(fields["key"]) == "acme"
    listed = runner.invoke(app, ["keys", "list"])
    assert fields["key_id"] in listed.output and fields["key"] not in listed.output

    assert runner.invoke(app, ["keys", "revoke", fields["key_id"]]).exit_code == 0
    assert runner.invoke(app, ["keys", "revoke", fields["key_id"]]).exit_code == 1
