"""`python -m ingest_api.keys`: the keys CLI."""

from ingest_api.keys.cli import app

app()
