"""PII redaction throughput per core: the fast path versus plain Presidio, in one run.

Both redact the same strings with the same entities (one process, one core): the labelled
corpus (tests/fixtures/pii_corpus.jsonl) and a generated log-like mix (unique strings, ~30%
with numbers, ~5% with PII). Recall and precision of both per entity against the corpus labels too.

    uv run python bench/pii_fastpath.py [--strings 3000]
"""

from __future__ import annotations

import argparse
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


def _rate(redactor: Redactor, texts: list[str], label: str) -> float:
    """Strings per CPU second of this (single-threaded) process: steadier than wall time on a
    shared machine."""
    started = time.process_time()
    for i, text in enumerate(texts):
        redactor.redact(text)
        if i % 500 == 0:
            print(f"  {label}: {i}/{len(texts)}", end="\r", flush=True)
    elapsed = time.process_time() - started
    print(" " * 60, end="\r")
    return len(texts) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strings", type=int, default=3000, help="generated strings")
    args = parser.parse_args()
    rng = random.Random(42)
    mix = [_text(rng, rng.randrange(5, 60)) for _ in range(args.strings)]
    rows = load_rows()
    corpus = [r["text"] for r in rows]
    figures: dict[str, tuple[float, str]] = {}
    for name, texts in (("mix", mix), ("corpus", corpus)):
        plain = Redactor(DEFAULT_PII_ENTITIES, fast_path=False)
        fast = Redactor(DEFAULT_PII_ENTITIES, cache_size=0)  # no cache: every string is new
        plain.warm_up(), fast.warm_up()
        plain_rate = _rate(plain, texts, f"{name} plain")
        fast_rate = _rate(fast, texts, f"{name} fast")
        same = sum(plain.redact(t) == fast.redact(t) for t in texts)
        figures[f"{name}_plain_presidio"] = (plain_rate, "strings/s/core")
        figures[f"{name}_fast_path"] = (fast_rate, "strings/s/core")
        figures[f"{name}_speedup"] = (fast_rate / plain_rate, "x")
        figures[f"{name}_identical_output"] = (100.0 * same / len(texts), "%")
    plain = Redactor(DEFAULT_PII_ENTITIES, fast_path=False)
    fast = Redactor(DEFAULT_PII_ENTITIES)
    for label, redactor in (("plain", plain), ("fast", fast)):
        for entity, (recall, precision) in per_entity(rows, redactor.redact).items():
            figures[f"corpus_{entity.lower()}_recall_{label}"] = (recall, "ratio")
            figures[f"corpus_{entity.lower()}_precision_{label}"] = (precision, "ratio")
    report("pii_fastpath", figures, {"strings": args.strings, "corpus_rows": len(rows)})


if __name__ == "__main__":
    main()
