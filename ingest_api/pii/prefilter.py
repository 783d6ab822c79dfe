"""Cheap necessary conditions for each pattern recognizer: which entities a string COULD hold.

Each test below is implied by the recognizer's own pattern (presidio-analyzer 2.2.36x), so a
string failing it cannot produce that entity and its recognizer need not run: a recognizer that
cannot match contributes nothing to the merge. Phone numbers need `min_phone_digits` digits;
the phone recognizer screens its own digit groups (`phone_screen`). The PII corpus and fuzz
tests score the whole against the labels and plain Presidio.
"""

from __future__ import annotations

import re

from presidio_analyzer.predefined_recognizers.generic.iban_patterns import regex_per_country

_DIGIT = re.compile(r"\d")  # Unicode Nd, as phonenumbers and Presidio's \d see digits
# every IPv4 form: four dot-separated groups of 1-3 ASCII digits
_IPV4 = re.compile(r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]")
# Each pattern below is led by a digit, checking what comes before it with a look-behind: `re`
# then skips in C to the digits instead of trying the pattern at every character of the text
# (a pattern led by a letter class costs ~7x more on prose). A word boundary of Presidio's
# pattern (`regex`'s `\b`) is checked as "no ASCII letter, digit or `_` there": those are word
# characters for both engines, so the test only ever keeps more than the boundary does.
# `tests/unit/ingest_api/test_pii_screen.py` checks each against Presidio's own patterns.

# the IBAN pattern's head: (?<![A-Z0-9])[A-Z]{2}[0-9]{2} then at least two [ -]?[A-Z0-9]{4};
# Presidio's registry compiles it case-insensitively (where e.g. U+017F folds to "s"), so any
# letter is allowed here (a UUID's hex block glued to more hex is not a head). Only a
# look-ahead past the first digit, so that every head is visited: each is then checked for a
# country code.
_IBAN = re.compile(r"[0-9](?<=(?<![A-Za-z0-9])[^\W\d_]{2}[0-9])(?=[0-9](?:[ -]?[^\W_]{4}){2})")
# Presidio keeps an IBAN only when its validation passes, which needs the first two
# characters, upper-cased, to be a country of its format table (`IbanRecognizer.validate_result`)
_IBAN_COUNTRIES = frozenset(regex_per_country)

# patterns need: credit card 4+3+3+3 digits, SSN 9 ASCII digits, IPv4 4, IBAN 2 ASCII digits
# (a count of Unicode digits is never below the count of ASCII ones)
_CC_MIN_DIGITS = 13
_SSN_MIN_DIGITS = 9
_IPV4_MIN_DIGITS = 4
_IBAN_MIN_DIGITS = 2
# the card pattern \b…\d{4}[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3,5}\b without its look-ahead
# and its leading digit choices (which only restrict it)
_CC = re.compile(r"\d(?<![\dA-Za-z_]\d)\d{3}[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3,5}(?![\dA-Za-z_])")
# covers all five SSN patterns, each between word boundaries: 5-4, 3-6, 3-2-4, 9 digits,
# 3[- .]2[- .]4 (an id's or UUID's run of 12 digits holds none)
_SSN = re.compile(
    r"[0-9](?<![0-9A-Za-z_][0-9])[0-9]{2}[- .]?[0-9]{2}[- .]?[0-9]{4}(?![0-9A-Za-z_])"
)

# entities this module can rule out; anything else (PERSON, LOCATION, ...) always goes to
# Presidio, unless its own recognizer can rule it out (`LexiconPersonRecognizer.could_match`)
PROVABLE = frozenset(
    {"EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IP_ADDRESS", "IBAN_CODE"}
)


def candidate_entities(text: str, enabled: frozenset[str], min_phone_digits: int) -> set[str]:
    """The enabled pattern entities `text` could contain; empty means none can be found."""
    found: set[str] = set()
    if "@" in text:  # substring tests run at C speed; most text then needs one digit scan
        found.add("EMAIL_ADDRESS")
    if ":" in text and ("::" in text or text.count(":") >= 7):
        found.add("IP_ADDRESS")  # every IPv6 form has "::" or seven colons
    digits = len(_DIGIT.findall(text))
    if digits:  # each pattern below runs only on text with the digits it needs
        if digits >= min_phone_digits:
            found.add("PHONE_NUMBER")
        if digits >= _CC_MIN_DIGITS and _CC.search(text):
            found.add("CREDIT_CARD")
        if digits >= _SSN_MIN_DIGITS and _SSN.search(text):
            found.add("US_SSN")
        if digits >= _IPV4_MIN_DIGITS and _IPV4.search(text):
            found.add("IP_ADDRESS")
        if digits >= _IBAN_MIN_DIGITS and _iban_head(text):
            found.add("IBAN_CODE")
    return found & enabled


def _iban_head(text: str) -> bool:
    """An IBAN head whose two letters, upper-cased, name a country Presidio validates."""
    return any(
        text[m.start() - 2 : m.start()].upper()[:2] in _IBAN_COUNTRIES for m in _IBAN.finditer(text)
    )
