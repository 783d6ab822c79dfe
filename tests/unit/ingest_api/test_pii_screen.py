"""The screens that decide which recognizers run: labelled strings, and Presidio's own patterns.

Each screen may only say "nothing here" where the recognizer it stands for finds nothing, so it
is checked two ways: on hand-labelled strings (PII that must stay a candidate, ids and numbers
that the narrower rules now refuse) and, on seeded random strings built from the characters
that matter (digits of three scripts, letters that fold, separators, word characters the two
regex engines see alike or not), against the recognizer itself or the spelled-out pattern the
led one replaces. Seeded and bounded: a second or two.
"""

from __future__ import annotations

import random
import re

import pytest
import regex

from ingest_api.pii import phone_screen
from ingest_api.pii.person_cues import cue_before
from ingest_api.pii.person_recognizer import _LOWER_INTRO, _LOWER_INTRO_ASCII
from ingest_api.pii.prefilter import candidate_entities
from ingest_api.pii.redaction import Redactor
from ollive_contract.settings import DEFAULT_PII_ENTITIES

ENTITIES = frozenset(DEFAULT_PII_ENTITIES)

# (text, entity, whether a finding of that entity is possible): the truth, written by hand
LABELLED = [
    ("my ssn is 536-22-8471, thanks", "US_SSN", True),
    ("SSN 536 22 8471", "US_SSN", True),
    ("ssn:536228471.", "US_SSN", True),
    ("(53622-8471)", "US_SSN", True),
    ("request a716-446655440000 failed", "US_SSN", False),  # a UUID's last block
    ("trace 0c5e89ab-12cd-4e5f-9abc-446655440000", "US_SSN", False),
    ("order 1234567890123 shipped", "US_SSN", False),  # 13 digits: no 9-digit word
    ("sku A536228471", "US_SSN", False),  # glued to a letter
    ("card 4111 1111 1111 1111 on file", "CREDIT_CARD", True),
    ("card 4111-1111-1111-1111.", "CREDIT_CARD", True),
    ("4111111111111111", "CREDIT_CARD", True),
    ("build 20260314123045123456 done", "CREDIT_CARD", False),  # one 20-digit run
    ("token x4111111111111111", "CREDIT_CARD", False),  # glued to a letter
    ("IBAN DE89 3704 0044 0532 0130 00", "IBAN_CODE", True),
    ("iban: de89370400440532013000", "IBAN_CODE", True),  # lowercase: Presidio keeps it
    ("GB82 WEST 1234 5698 7654 32 please", "IBAN_CODE", True),
    ("to FR1420041010050500013M02606", "IBAN_CODE", True),
    ("request ea24b9cd-78d5-4c1f-9e0b-fe5394f37490", "IBAN_CODE", False),  # no "EA", "FE"
    ("hash 9fab12cdef3456789", "IBAN_CODE", False),  # the letters glued to a digit
]


@pytest.mark.parametrize(("text", "entity", "possible"), LABELLED)
def test_screens_on_labelled_strings(text: str, entity: str, possible: bool) -> None:
    assert (entity in candidate_entities(text, ENTITIES, 3)) is possible


# characters the patterns care about: ASCII, Arabic-Indic and full-width digits; letters that
# fold (long s, Kelvin sign, dotless i) or are not ASCII; separators; `½` (a word character
# for `re`, not for `regex`) and a combining mark (the other way round)
ALPHABET = [
    *("0123456789" * 4),
    *"\u0663\uff15",
    *"abzDEGBFRXK_",
    "\u017f",
    "\u212a",
    "\u0131",
    "\u00e9",
    "\u00bd",
    "\u0301",
    *" -. /:#(+",
]


def _strings(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(6, 40))) for _ in range(count)]


# IBAN bodies by country (n: digit, a: capital letter, c: either), as their formats need
IBAN_BODIES = {
    "DE": "nnnnnnnnnnnnnnnnnn",
    "GB": "aaaannnnnnnnnnnnnn",
    "NL": "aaaannnnnnnnnn",
    "BE": "nnnnnnnnnnnn",
    "CH": "nnnnncccccccccccc",
}


def _iban(rng: random.Random) -> str:
    """A valid IBAN: a country, mod-97 check digits, a body of that country's shape."""
    country = rng.choice(sorted(IBAN_BODIES))
    kinds = {"n": "0123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    kinds["c"] = kinds["n"] + kinds["a"]
    body = "".join(rng.choice(kinds[k]) for k in IBAN_BODIES[country])
    number = int("".join(str(int(c, 36)) for c in body + country + "00"))
    return f"{country}{98 - number % 97:02d}{body}"


def _card(rng: random.Random) -> str:
    """A Luhn-valid 16-digit number starting with 4."""
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = sum(d if i % 2 else sum(divmod(2 * d, 10)) for i, d in enumerate(digits))
    return "".join(map(str, digits)) + str(-total % 10)


def _planted(rng: random.Random) -> str:
    """A card, an SSN-shaped group or an IBAN, grouped or not, in random surroundings."""
    kind = rng.randrange(3)
    if kind == 0:
        value = _card(rng)
        sep = rng.choice(["", " ", "-"])
        value = sep.join(value[i : i + 4] for i in range(0, 16, 4))
    elif kind == 1:
        value = "".join(rng.choice("0123456789") for _ in range(9))
        sep = rng.choice(["", "-", " ", "."])
        value = rng.choice([value, f"{value[:3]}{sep}{value[3:5]}{sep}{value[5:]}"])
    else:
        value = _iban(rng)
        value = value.lower() if rng.random() < 0.3 else value
        if rng.random() < 0.5:
            value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return rng.choice(ALPHABET) + value + rng.choice(ALPHABET)


def test_number_screens_keep_every_finding_of_presidio() -> None:
    """Where Presidio's card, SSN or IBAN recognizer reports, the screen kept the entity."""
    rng = random.Random(16)
    # the recognizers as the redactor runs them: its registry compiles their patterns
    # case-insensitively, which the IBAN screen's look-behind relies on
    redactor = Redactor(["CREDIT_CARD", "US_SSN", "IBAN_CODE"])
    recognizers = {e: redactor._recognizers[e][0] for e in ("CREDIT_CARD", "US_SSN", "IBAN_CODE")}
    assert all(r.global_regex_flags & regex.IGNORECASE for r in recognizers.values())
    texts = _strings(1, 2_000) + [_planted(rng) for _ in range(3_000)]
    found = dict.fromkeys(recognizers, 0)
    for text in texts:
        candidates = candidate_entities(text, ENTITIES, 3)
        for entity, recognizer in recognizers.items():
            if recognizer.analyze(text, [entity]):
                found[entity] += 1
                assert entity in candidates, (entity, text)
    assert min(found.values()) >= 30, found  # each recognizer reported often enough to count


def test_led_group_pattern_spells_the_matcher_candidate() -> None:
    """`GROUP`, led by one character class, finds the same groups as the shape it stands for."""
    lead, punct = phone_screen._LEAD, phone_screen._PUNCT
    spelled = re.compile(
        f"(?:[{lead}][{punct}]{{0,4}}){{0,2}}\\d+(?:[{punct}]{{0,4}}\\d+)*"
        r"(?:[ \t]*(?:;ext=|ext[n.]?|#)[ \t.:]*\d{1,7})?",
        re.IGNORECASE,
    )
    rng = random.Random(5)
    pieces = [*ALPHABET, "ext", "EXT.", ";ext=", "x", "\uff08", "[", "\u2013", "\u00a0", "+"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(4_000)]
    for text in texts:
        assert [m.span() for m in phone_screen.GROUP.finditer(text)] == [
            m.span() for m in spelled.finditer(text)
        ], text


def test_ascii_self_introduction_test_agrees_with_the_unicode_one() -> None:
    """On ASCII text the led lowercase test says what `_LOWER_INTRO` says."""
    rng = random.Random(9)
    pieces = ["i", "m", "I", "M", "'", " ", "\t", "\n", "y", "my name is", "i'm", "im", "I AM"]
    pieces += ["name", "is", "am", "a", "x", "_", "0", ".", "-", "Jane", "\x1c"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(20_000)]
    texts += ["hi im jane", "Hi, I'm Jane", "my name is priya", "time is up", "I am 42"]
    for text in texts:
        expected = _LOWER_INTRO.search(text) is not None
        assert (_LOWER_INTRO_ASCII.search(text.lower()) is not None) is expected, text


# (text, whether it names a person): places and words that are also first names, alone or
# next to each other, are no names; after a cue, or beside a surname, they are
AMBIGUOUS_LABELLED = [
    ("flights from Paris to Tokyo, then Lisbon Paris Austin", False),
    ("weather in Paris Tokyo and Sydney Dallas tomorrow", False),
    ("Dear Paris Jordan, your booking is confirmed", True),
    ("the refund was approved by Austin Paris yesterday", True),
    ("I spoke with Jordan Austin about the invoice", True),
    ("ticket assigned to Jordan Sydney", True),
    ("cc: Austin Paris", True),
    ("I met Grace Hopper today", True),
]


@pytest.mark.parametrize(("text", "is_name"), AMBIGUOUS_LABELLED)
def test_person_screen_on_place_like_names(text: str, is_name: bool) -> None:
    redactor = _person_redactor()
    found = "PERSON" in redactor.redact(text)[1]
    assert found is is_name, text
    assert redactor._person.could_match(text) or not is_name


def test_person_screen_keeps_every_run_of_place_like_names_after_a_cue() -> None:
    """Shuffles of cue words, words that are also first names, surnames and other capitalised
    words: wherever `analyze` finds a name, `could_match` said yes."""
    person = _person_redactor()._person
    rng = random.Random(11)
    words = ["Paris", "Jordan", "Austin", "May", "Grace", "Sydney", "Tokyo", "Lisbon", "Hopper"]
    words += ["with", "ask", "for", "by", "Dear", "hi", "Hi,", "from", "the", "to", "Mr.", "email"]
    words += ['"name":', '"q":', "Smith", "Team", "and", "\n", "-", "Thanks,", "met", "Priya"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(2, 9))) for _ in range(6_000)]
    found = [t for t in texts if person.analyze(t, ["PERSON"])]
    assert len(found) > 1_000, len(found)
    assert all(person.could_match(t) for t in found)
    assert sum(not person.could_match(t) for t in texts) > 500  # it does rule strings out


_PERSON_REDACTOR: list[Redactor] = []


def _person_redactor() -> Redactor:
    if not _PERSON_REDACTOR:
        _PERSON_REDACTOR.append(Redactor(["PERSON"], cache_size=0))
    return _PERSON_REDACTOR[0]


def test_cue_before_shortcut_says_what_the_full_reading_says() -> None:
    """After one space `cue_before` answers plain words itself; after a tab (same rstrip) it
    reads the full way: both must agree at every capitalised word of shuffled phrases."""
    rng = random.Random(12)
    words = ["Dear", "hi", "with", "ask", "reported", "by", "the", "Paris", "Jane", "name", "is"]
    words += ["my", "Dr.", "thanks,", '"name":', "señor", "x.hi", "(hi", "\n", "-", "I'm", "Doe"]
    words += ["a" * 45, "Über", "call", "me", "assigned", "to", "cc:", "on", "behalf", "of"]
    for _ in range(4_000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(2, 8)))
        for match in re.finditer(r"(?<= )[A-ZÜ]", text):
            start = match.start()
            tabbed = text[: start - 1] + "\t" + text[start:]
            assert cue_before(text, start) == cue_before(tabbed, start), (text, start)
