"""PERSON without a model: recall/precision on the labelled names corpus, and its hot-path cost.

Scores per entity against `tests/fixtures/names_corpus.jsonl` (the `dev` rows the rules were
written against, and the `holdout` rows that were not used to tune them), for plain Presidio
and the fast path, with the default entities (PERSON included). Then strings/s/core with and
without PERSON, in one process on one core, on the load bench's mix (lowercase words), the same
mix with each string's first letter capitalised (as sentences are), and the two corpora; the
best of `--rounds` alternated timings of each, in CPU time of the process.

    uv run python bench/pii_names.py [--strings 3000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.ingest_common import report
from bench.ingest_load import _text
from bench.pii_labels import load_rows, per_entity
from ingest_api.pii.redaction import Redactor
from ollive_contract.settings import DEFAULT_PII_ENTITIES

NAMES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "names_corpus.jsonl"
WITHOUT = [e for e in DEFAULT_PII_ENTITIES if e != "PERSON"]
WITH = [*WITHOUT, "PERSON"]


def _rate(redactor: Redactor, texts: list[str]) -> float:
    """Strings per CPU second of this process (steadier than wall time on a shared machine)."""
    started = time.process_time()
    for text in texts:
        redactor.redact(text)
    return len(texts) / (time.process_time() - started)


def _scores(figures: dict, rows: list[dict], split: str) -> None:
    for label, redactor in (("plain", Redactor(WITH, fast_path=False)), ("fast", Redactor(WITH))):
        for entity, (recall, precision) in per_entity(rows, redactor.redact).items():
            key = f"names_{split}_{entity.lower()}"
            figures[f"{key}_recall_{label}"] = (recall, "ratio")
            figures[f"{key}_precision_{label}"] = (precision, "ratio")
    figures[f"names_{split}_rows"] = (len(rows), "rows")
    figures[f"names_{split}_person_rows"] = (sum("PERSON" in r["entities"] for r in rows), "rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strings", type=int, default=3000, help="generated strings")
    parser.add_argument("--rounds", type=int, default=5, help="alternated timings; best kept")
    args = parser.parse_args()
    names = [json.loads(line) for line in NAMES.read_text().splitlines() if line]
    figures: dict[str, tuple[float, str]] = {}
    holdout = [r for r in names if r["kind"].startswith("holdout")]
    dev = [r for r in names if not r["kind"].startswith("holdout")]
    for split, rows in (("all", names), ("dev", dev), ("holdout", holdout)):
        _scores(figures, rows, split)

    rng = random.Random(42)
    mix = [_text(rng, rng.randrange(5, 60)) for _ in range(args.strings)]
    texts = {
        "mix": mix,
        "mix_capitalised": [t[:1].upper() + t[1:] for t in mix],
        "names_corpus": [r["text"] for r in names],
        "pii_corpus": [r["text"] for r in load_rows()],
    }
    for name, sample in texts.items():
        without = Redactor(WITHOUT, cache_size=0)  # no cache: every string is new
        person = Redactor(WITH, cache_size=0)
        without.warm_up(), person.warm_up()
        rates = [(_rate(without, sample), _rate(person, sample)) for _ in range(args.rounds)]
        without_rate, with_rate = max(r[0] for r in rates), max(r[1] for r in rates)
        reached = sum(person._person.could_match(t) for t in sample)
        figures[f"{name}_fast_without_person"] = (without_rate, "strings/s/core")
        figures[f"{name}_fast_with_person"] = (with_rate, "strings/s/core")
        figures[f"{name}_with_over_without"] = (with_rate / without_rate, "x")
        figures[f"{name}_person_cost"] = (1e6 / with_rate - 1e6 / without_rate, "us/string")
        figures[f"{name}_person_not_ruled_out"] = (100.0 * reached / len(sample), "%")
    plain = Redactor(WITH, fast_path=False)
    plain.warm_up()
    figures["names_corpus_plain_with_person"] = (
        _rate(plain, texts["names_corpus"]),
        "strings/s/core",
    )
    extra = {"strings": args.strings, "rounds": args.rounds, "names_rows": len(names)}
    report("pii_names", figures, extra)


if __name__ == "__main__":
    main()
