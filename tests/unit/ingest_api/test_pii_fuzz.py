"""The fast path equals plain Presidio on generated text built to stress its proofs.

Digit groups in every shape the phone matcher cares about (separators, brackets, plus signs,
leading zeros, `x` and `ext`, other scripts' digits, time stamps, slash dates), real numbers of
each supported region, near-miss cards, SSNs, IBANs, IPs and emails, glued to words or not.
Seeded, so a failure reproduces; the size is bounded so the test stays a few seconds long.
"""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberMatcher
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from ingest_api.pii.phone_screen import candidates
from ingest_api.pii.redaction import Redactor
from ollive_contract.settings import DEFAULT_PII_ENTITIES

WORDS = ["order", "call", "phone", "id", "ref", "total", "at", "v", "room", "x", "ext", "the"]
SEPARATORS = ["", " ", "-", ".", "/", " - ", "  ", "\u2013", "(", ")", "x", "\u00a0", ":", ","]
FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
]
DIGIT_SCRIPTS = [
    "0123456789",
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19",
]


def _digits(rng: random.Random, n: int) -> str:
    script = rng.choice(DIGIT_SCRIPTS) if rng.random() < 0.1 else DIGIT_SCRIPTS[0]
    return "".join(script[rng.randrange(10)] for _ in range(n))


def _number_group(rng: random.Random) -> str:
    groups = [_digits(rng, rng.randint(1, 5)) for _ in range(rng.randint(1, 4))]
    out = groups[0]
    for g in groups[1:]:
        out += rng.choice(SEPARATORS) + g
    lead = rng.random()
    if lead < 0.1:
        out = "+" + out
    elif lead < 0.2:
        out = "0" + out
    elif lead < 0.25:
        out = "(" + out
    if rng.random() < 0.05:
        out += rng.choice([" ext. ", " x", "#", ";ext="]) + _digits(rng, rng.randint(1, 4))
    return out


def _real_phone(rng: random.Random) -> str:
    region = rng.choice((*PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS, "JP", "CH", "AU"))
    kind = rng.choice(
        [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]
    )
    number = phonenumbers.example_number_for_type(region, kind)
    if number is None:
        return _number_group(rng)
    text = phonenumbers.format_number(number, rng.choice(FORMATS))
    if rng.random() < 0.3:  # a near miss: one digit changed
        i = rng.randrange(len(text))
        if text[i].isdigit():
            text = text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :]
    return text


def _token(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(WORDS)
    if roll < 0.65:
        return _number_group(rng)
    if roll < 0.75:
        return _real_phone(rng)
    return rng.choice(
        [
            f"{rng.randint(1990, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            f" {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
            f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{rng.randint(1990, 2030)}",
            "4111 1111 1111 1111",
            "4111 1111 1111 1112",
            f"{_digits(rng, 3)}-{_digits(rng, 2)}-{_digits(rng, 4)}",
            "DE89 3704 0044 0532 0130 00",
            f"GB{rng.randint(10, 99)} NWBK 6016 1331 9268 19",
            ".".join(str(rng.randint(0, 300)) for _ in range(4)),
            "fe80::1",
            f"user{rng.randint(1, 99)}@example.com",
            f"${rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
            f"{rng.randint(1, 99)}% of {rng.randint(100, 99999)}",
            _hex_id(rng),
        ]
    )


def _hex_id(rng: random.Random) -> str:
    """Ids and hashes: digit runs glued to letters, with hyphens, some with digit-only groups."""
    groups = [
        "".join(
            rng.choice("0123456789abcdefABCDEF" if rng.random() < 0.8 else "0123456789")
            for _ in range(n)
        )
        for n in rng.choice(((8, 4, 4, 4, 12), (12,), (6, 6), (4, 10)))
    ]
    return rng.choice(["", "id", "sha", "x", "#", "ORD-"]) + "-".join(groups)


def fuzz_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        tokens = [_token(rng) for _ in range(rng.randint(1, 6))]
        glue = rng.choice([" ", " ", " ", "", ", ", "\n"])
        texts.append(glue.join(tokens))
    return texts


@pytest.fixture(scope="module")
def redactors() -> tuple[Redactor, Redactor]:
    return (
        Redactor(DEFAULT_PII_ENTITIES, fast_path=False),
        Redactor(DEFAULT_PII_ENTITIES, cache_size=0),
    )


def test_fast_path_equals_plain_presidio_on_fuzz(redactors: tuple[Redactor, Redactor]) -> None:
    plain, fast = redactors
    texts = fuzz_texts(seed=20_260_101, count=1_500)
    found: set[str] = set()
    for text in texts:
        expected = plain.redact(text)
        assert fast.redact(text) == expected, text
        found |= expected[1]
    # the generator really exercises every pattern entity (names: test_pii_names.py), and the
    # fast path really skips work
    assert found == set(DEFAULT_PII_ENTITIES) - {"PERSON"}
    assert fast.presidio_calls < 0.7 * len(texts)


def test_phone_screen_never_rules_out_a_phone(redactors: tuple[Redactor, Redactor]) -> None:
    """Where the screen says no phone, Presidio's phone recognizer finds none; both sides occur."""
    fast = redactors[1]
    recognizer = PhoneRecognizer()
    screen = fast._phone
    ruled_out = kept = phones = 0
    for text in fuzz_texts(seed=7, count=1_500):
        found = recognizer.analyze(text, ["PHONE_NUMBER"])
        if screen.ruled_out(text):
            ruled_out += 1
            assert found == [], text
        else:
            kept += 1
            phones += bool(found)
    assert ruled_out > 300 and kept > 100 and phones > 50, (ruled_out, kept, phones)


def test_candidates_walk_like_the_matcher() -> None:
    text = "call 020 7946 0018 / x 12, then 4111 1111 1111 1111 at 10:30"
    found = [c for _, c in candidates(text)]
    assert found == ["020 7946 0018", "12", "4111 1111 1111 1111", "10", "30"]


def test_phone_screen_matches_the_matcher(redactors: tuple[Redactor, Redactor]) -> None:
    """Per region, each candidate's verdict (and tries, when refused) equals the library's step."""
    screen = redactors[1]._phone
    agree = accepted = glued = 0
    for text in fuzz_texts(seed=11, count=600):
        for start, candidate in candidates(text):
            before, after = text[start - 1 : start], text[start + len(candidate) :][:3]
            context = before + candidate + after
            expected = set()
            for region in screen.regions:
                matcher = PhoneNumberMatcher(context, region, screen.leniency)
                if matcher._extract_match(candidate, len(before)) is not None:
                    expected.add(region)
                elif region not in screen.candidate_regions(before, candidate, after):
                    # a refused step: the screen counts the tries the library used
                    tries = screen.step_attempts(before, candidate, after)[1]
                    assert tries == 65_535 - matcher._max_tries, (text, candidate, region)
            assert screen.candidate_regions(before, candidate, after) == expected, (text, candidate)
            agree += 1
            accepted += bool(expected)
            glued += screen.glued_digits(before, candidate, after)
    assert agree > 1_000 and accepted > 100 and glued > 100, (agree, accepted, glued)
