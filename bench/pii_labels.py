"""Recall and precision of a redactor per entity type, against the labelled PII corpus.

The corpus (`tests/fixtures/pii_corpus.jsonl`, data only) labels each string with the entity
types it holds and their values. Recall of an entity: strings labelled with it whose values all
left the output. Precision: strings where the redactor reported it that are labelled with it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pii_corpus.jsonl"

Redact = Callable[[str], tuple[str, frozenset[str]]]


def load_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line]


def per_entity(rows: list[dict[str, Any]], redact: Redact) -> dict[str, tuple[float, float]]:
    """{entity: (recall, precision)} over every entity labelled or reported."""
    labelled, removed, reported, right = Counter(), Counter(), Counter(), Counter()
    for row in rows:
        out, found = redact(row["text"])
        clean = not any(value in out for value in row["values"])
        for entity in set(row["entities"]):
            labelled[entity] += 1
            removed[entity] += clean
        for entity in found:
            reported[entity] += 1
            right[entity] += entity in row["entities"]
    return {
        entity: (
            removed[entity] / labelled[entity] if labelled[entity] else 1.0,
            right[entity] / reported[entity] if reported[entity] else 1.0,
        )
        for entity in sorted(labelled.keys() | reported.keys())
    }
