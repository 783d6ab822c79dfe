"""Writes the JSON Schema of the wire contract beside it: `python -m ollive_contract.json_schema`.

The committed file is what non-Python producers validate against; a test fails when it drifts
from the models.
"""

from __future__ import annotations

import json
from pathlib import Path

from ollive_contract.events import EVENT_ADAPTER

SCHEMA_PATH = Path(__file__).with_name("event.v1.schema.json")


def render() -> str:
    schema = EVENT_ADAPTER.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Ollive event, schema v1"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render())
    print(f"wrote {SCHEMA_PATH}")
