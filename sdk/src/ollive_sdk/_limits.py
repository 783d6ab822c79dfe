"""Limits of wire contract v1, mirrored here because the SDK must not import the server package.

`tests/unit/contract/test_sdk_contract.py` fails when these drift from `ollive_contract.events`.
"""

from __future__ import annotations

SCHEMA_VERSION = 1
PREVIEW_MAX_CHARS = 500
TEXT_MAX_CHARS = 32_768
ID_MAX_CHARS = 256
METADATA_MAX_ITEMS = 64
TOOL_CALLS_MAX_ITEMS = 128
MILLIS_MAX = 86_400_000.0
SCORE_AUTHOR_KINDS = ("user", "human_annotator", "model", "system")
# Only the ingest API sets these; the SDK strips them from whatever a mask hook returns.
SERVER_FIELDS = frozenset(
    {"received_at", "project_id", "pii_detected", "pii_entities", "schema_version"}
)
