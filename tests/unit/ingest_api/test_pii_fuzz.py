"""The fast path is at least as safe as plain Presidio on generated text built to stress it.

Digit groups in every shape the phone matcher cares about (separators, brackets, plus signs,
leading zeros, `x` and `ext`, other scripts' digits, time stamps, slash dates), real numbers of
each supported region, near-miss cards, SSNs, IBANs, IPs and emails, glued to words or not.
The planted real values are the labels: per entity, the fast path's recall and precision
against them are at least plain Presidio's. Seeded, so a failure reproduces; the size is
bounded so the test stays a few seconds long.
"""

from __future__ import annotations

import ast
import random
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

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


def _real_phone(rng: random.Random) -> tuple[str, str | None]:
    """A number of a supported region (labelled) or another one, or a near miss (unlabelled)."""
    region = rng.choice((*PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS, "JP", "CH", "AU"))
    kind = rng.choice(
        [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]
    )
    number = phonenumbers.example_number_for_type(region, kind)
    if number is None:
        return _number_group(rng), None
    text = phonenumbers.format_number(number, rng.choice(FORMATS))
    if rng.random() < 0.3:  # a near miss: one digit changed
        i = rng.randrange(len(text))
        if text[i].isdigit():
            return text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :], None
    return text, "PHONE_NUMBER"


# planted values that are PII, whatever the context: (value, entity)
PLANTED = {
    "4111 1111 1111 1111": "CREDIT_CARD",
    "DE89 3704 0044 0532 0130 00": "IBAN_CODE",
    "fe80::1": "IP_ADDRESS",
}


def _token(rng: random.Random) -> tuple[str, str | None]:
    """A token and the entity it plants (None: not PII, or not known to be)."""
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(WORDS), None
    if roll < 0.65:
        return _number_group(rng), None
    if roll < 0.75:
        return _real_phone(rng)
    if roll < 0.78:
        return f"user{rng.randint(1, 99)}@example.com", "EMAIL_ADDRESS"
    if roll < 0.80:
        return ".".join(str(rng.randint(1, 254)) for _ in range(4)), "IP_ADDRESS"
    token = rng.choice(
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
    return token, PLANTED.get(token)


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


def fuzz_rows(seed: int, count: int) -> list[dict]:
    """Texts with their planted values and entities, in the labelled corpus' row format."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        tokens = [_token(rng) for _ in range(rng.randint(1, 6))]
        glue = rng.choice([" ", " ", " ", ", ", "\n"])  # glued tokens would make other values
        planted = [(value, entity) for value, entity in tokens if entity]
        rows.append(
            {
                "text": glue.join(value for value, _ in tokens),
                "values": [value for value, _ in planted],
                "entities": sorted({entity for _, entity in planted}),
                "planted": planted,
            }
        )
    return rows


def fuzz_texts(seed: int, count: int) -> list[str]:
    return [row["text"] for row in fuzz_rows(seed, count)]


def _per_entity(rows: list[dict], redact) -> dict[str, tuple[float, float]]:
    """{entity: (recall, precision)}: planted values gone; reported entities planted."""
    labelled, removed, reported, right = Counter(), Counter(), Counter(), Counter()
    for row in rows:
        out, found = redact(row["text"])
        for value, entity in row["planted"]:
            labelled[entity] += 1
            removed[entity] += value not in out
        for entity in found:
            reported[entity] += 1
            right[entity] += entity in row["entities"]
    return {
        e: (
            removed[e] / labelled[e] if labelled[e] else 1.0,
            right[e] / reported[e] if reported[e] else 1.0,
        )
        for e in sorted(labelled.keys() | reported.keys())
    }


@pytest.fixture(scope="module")
def redactors() -> tuple[Redactor, Redactor]:
    return (
        Redactor(DEFAULT_PII_ENTITIES, fast_path=False),
        Redactor(DEFAULT_PII_ENTITIES, cache_size=0),
    )


def test_fast_path_is_as_safe_as_plain_presidio_on_fuzz(
    redactors: tuple[Redactor, Redactor],
) -> None:
    plain, fast = redactors
    rows = fuzz_rows(seed=20_260_101, count=1_000)
    plain_out = {r["text"]: plain.redact(r["text"]) for r in rows}
    fast_out = {r["text"]: fast.redact(r["text"]) for r in rows}
    plain_scores = _per_entity(rows, plain_out.__getitem__)
    fast_scores = _per_entity(rows, fast_out.__getitem__)
    print({e: (round(p[0], 3), round(p[1], 3)) for e, p in fast_scores.items()})
    for entity, (recall, precision) in plain_scores.items():
        assert fast_scores[entity][0] >= recall, (entity, fast_scores[entity], recall)
        assert fast_scores[entity][1] >= precision, (entity, fast_scores[entity], precision)
    # every planted kind occurs, and the outputs rarely differ at all (where they do, Presidio's
    # phone span runs on over a following `, x, 4`)
    assert set(plain_scores) >= set(DEFAULT_PII_ENTITIES) - {"PERSON", "US_SSN"}
    same = sum(plain_out[text] == fast_out[text] for text in plain_out)
    assert same >= 0.98 * len(plain_out)


def test_phone_screen_keeps_every_phone_presidio_finds(
    redactors: tuple[Redactor, Redactor],
) -> None:
    """Presidio's phone findings outside the documented id and date rules: the fast path's too."""
    fast = redactors[1]
    recognizer = PhoneRecognizer()
    screened = fast._recognizers["PHONE_NUMBER"][0]
    ruled_out = kept = phones = 0
    for text in fuzz_texts(seed=7, count=800):
        found = {(r.start, r.end) for r in recognizer.analyze(text, ["PHONE_NUMBER"])}
        mine = [(r.start, r.end) for r in screened.analyze(text, ["PHONE_NUMBER"])]
        if fast.phone_screen.could_hold_phone(text):
            kept += 1
            phones += bool(found)
        else:
            ruled_out += 1
        for start, end in found:  # each of Presidio's spans is covered by the screened ones
            covered = [(s, e) for s, e in mine if s < end and start < e]
            assert covered, (text, text[start:end])
    assert ruled_out > 100 and kept > 100 and phones > 50, (ruled_out, kept, phones)


def test_no_private_names_of_other_libraries() -> None:
    """The PII package uses only the public API of phonenumbers and Presidio."""
    package = Path(__file__).resolve().parents[3] / "ingest_api" / "pii"
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module not in (None, "__future__"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, (path.name, node.module)
                assert not any(p.startswith("_") for p in node.module.split(".")), path.name
            dunder = node.attr.startswith("__") if isinstance(node, ast.Attribute) else False
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not dunder:
                owner = node.value  # only our own objects' private names
                assert isinstance(owner, ast.Name) and owner.id == "self", (path.name, node.attr)
