"""The local-number rule of the phone screen: labelled strings, and the matcher on every run.

`LocalNumberRule` says which runs of digits written alone a region's matcher refuses (not a
valid number there, or lacking the national prefix its format requires), so that the screen
does not ask the matcher about them. Checked on hand-labelled strings (German numbers written
with their prefix stay phone numbers; ticket numbers, years and counts do not become any), and
against phonenumbers' public matcher on every 4-digit and every third 5-digit run in Germany
(the one default region asked about such short runs) and on sampled longer runs in every
default region.
"""

from __future__ import annotations

import random

import pytest
from phonenumbers import Leniency, PhoneNumberMatcher
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from ingest_api.pii.local_number import LocalNumberRule
from ingest_api.pii.redaction import Redactor

# (text, the phone numbers in it): written by hand
LABELLED = [
    ("call me at 030 12345678 tomorrow", ["030 12345678"]),
    ("Mobil: 0151 23456789", ["0151 23456789"]),
    ("Büro 089 1234567, danke", ["089 1234567"]),
    ("reach +49 30 12345678 after 5", ["+49 30 12345678"]),
    ("ticket #32050 was closed", []),
    ("ticket #73779 reopened in 2026", []),
    ("order 48213 shipped, 2025 totals", []),
    ("listening on port 8080, pid 31337", []),
    ("retry 3 of 12055 requests in 2024", []),
]


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(["PHONE_NUMBER"], cache_size=0)


@pytest.mark.parametrize(("text", "phones"), LABELLED)
def test_labelled_phone_numbers(redactor: Redactor, text: str, phones: list[str]) -> None:
    out, found = redactor.redact(text)
    assert ("PHONE_NUMBER" in found) is bool(phones), (text, out)
    for phone in phones:
        assert phone not in out, out


def test_rule_refuses_tickets_and_years_but_not_prefixed_numbers() -> None:
    germany = LocalNumberRule("DE", Leniency.VALID)
    assert germany.refuses("32050") and germany.refuses("73779") and germany.refuses("2026")
    assert not germany.refuses("03012345678")  # the national prefix: the matcher decides
    assert not germany.refuses("4930123456")  # could be read as country code 49
    assert not LocalNumberRule("DE", Leniency.POSSIBLE).refuses("32050")  # no such check there


def _refused_runs_matcher_accepts(region: str, runs: list[str]) -> list[str]:
    rule = LocalNumberRule(region, Leniency.VALID)
    wrong = []
    for digits in runs:
        # the windows the screen hands over: the run with what the matcher reads around it
        if rule.refuses(digits) and any(
            list(PhoneNumberMatcher(window % digits, region, leniency=Leniency.VALID))
            for window in ("#%s aa", " %s, ")
        ):
            wrong.append(digits)
    return wrong


def test_matcher_accepts_no_refused_short_run_in_germany() -> None:
    # every 4-digit run, every third 5-digit one (each matcher call costs ~50 us)
    runs = [str(n) for n in (*range(1_000, 10_000), *range(10_000, 100_000, 3))]
    assert _refused_runs_matcher_accepts("DE", runs) == []
    refused = sum(LocalNumberRule("DE", Leniency.VALID).refuses(r) for r in runs)
    assert refused > 0.9 * len(runs), refused  # the rule does spare the matcher most of them


def test_matcher_accepts_no_refused_longer_run_anywhere() -> None:
    rng = random.Random(16)
    for region in PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS:
        runs = [str(rng.randrange(10 ** (n - 1), 10**n)) for n in range(6, 13) for _ in range(150)]
        assert _refused_runs_matcher_accepts(region, runs) == [], region
