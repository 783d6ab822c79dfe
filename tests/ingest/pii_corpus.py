"""The labelled PII corpus (tests/fixtures/pii_corpus.jsonl) and its recall/precision."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "pii_corpus.jsonl"


def load_corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS_PATH.read_text().splitlines() if line]


@dataclass(frozen=True)
class Score:
    recall: float  # labelled-PII strings with every PII value removed
    precision: float  # strings flagged that really hold PII
    missed: tuple[str, ...]
    false_alarms: tuple[str, ...]


def score(rows: list[dict[str, Any]], redact: Callable[[str], tuple[str, frozenset[str]]]) -> Score:
    missed, alarms, flagged, true_flags = [], [], 0, 0
    positives = [r for r in rows if r["entities"]]
    for row in rows:
        out, found = redact(row["text"])
        if found:
            flagged += 1
            if row["entities"]:
                true_flags += 1
            else:
                alarms.append(row["text"])
        if row["entities"] and any(v in out for v in row["values"]):
            missed.append(row["text"])
    return Score(
        recall=1 - len(missed) / len(positives),
        precision=true_flags / flagged if flagged else 1.0,
        missed=tuple(missed),
        false_alarms=tuple(alarms),
    )
