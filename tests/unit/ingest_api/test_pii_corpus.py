"""The fast path redacts exactly as plain Presidio does, string by string, on the corpus."""

from __future__ import annotations

import socket

import pytest

from ingest_api.pii.redaction import Redactor
from ollive_contract.settings import DEFAULT_PII_ENTITIES
from tests.fixtures.pii_corpus import load_corpus, score


@pytest.fixture(scope="module")
def redactors() -> tuple[Redactor, Redactor]:
    return Redactor(DEFAULT_PII_ENTITIES, fast_path=False), Redactor(DEFAULT_PII_ENTITIES)


def test_fast_path_equals_plain_presidio(redactors: tuple[Redactor, Redactor]) -> None:
    plain, fast = redactors
    rows = load_corpus()
    assert len(rows) >= 150
    for row in rows:
        assert fast.redact(row["text"]) == plain.redact(row["text"]), row["text"]
        assert fast.redact(row["text"]) == plain.redact(row["text"])  # cached answer too
    # text with nothing that could match never reaches Presidio: that is the fast path
    fresh = Redactor(DEFAULT_PII_ENTITIES, cache_size=0)
    for row in rows:
        if row["kind"] == "clean" and "::" not in row["text"]:
            fresh.redact(row["text"])
    assert fresh.presidio_calls == 0


def test_recall_and_precision_against_labels(redactors: tuple[Redactor, Redactor]) -> None:
    plain, fast = redactors
    rows = load_corpus()
    plain_score, fast_score = score(rows, plain.redact), score(rows, fast.redact)
    assert fast_score == plain_score
    print(f"recall {fast_score.recall:.3f} precision {fast_score.precision:.3f}")
    assert fast_score.recall >= 0.97
    assert fast_score.precision >= 0.97


def test_no_network_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building, warming and using a redactor never opens a socket (tldextract included)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    redactor = Redactor(DEFAULT_PII_ENTITIES, cache_size=0)
    redactor.warm_up()
    assert redactor.redact("write to someone@example.org")[0] == "write to <EMAIL_ADDRESS>"
