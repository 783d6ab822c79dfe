"""Cheap necessary conditions for each pattern recognizer: which entities a string COULD hold.

Each test below is implied by the recognizer's own pattern (presidio-analyzer 2.2.36x), so a
string failing it cannot produce that entity and its recognizer need not run: a recognizer that
cannot match contributes nothing to the merge. Phone numbers need `min_phone_digits` digits;
the phone recognizer screens its own digit groups (`phone_screen`). The PII corpus and fuzz
tests score the whole against the labels and plain Presidio.
"""

from __future__ import annotations

import re

# any character that can start one of the conditions below: most clean text has none
_ANY = re.compile(r"[\d@:]")
_DIGIT = re.compile(r"\d")  # Unicode Nd, as phonenumbers and Presidio's \d see digits
# every IPv4 form: four dot-separated groups of 1-3 ASCII digits
_IPV4 = re.compile(r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]")
# the IBAN pattern's head: [A-Z]{2}[0-9]{2} then at least two [ -]?[A-Z0-9]{4}; Presidio
# matches it case-insensitively (where e.g. U+017F folds to "s"), so any letter is allowed here
_IBAN = re.compile(r"[^\W\d_]{2}[0-9]{2}(?:[ -]?[^\W_]{4}){2}")

# patterns need: credit card 4+3+3+3 digits, SSN 9 ASCII digits, IBAN 2 ASCII digits
_CC_MIN_DIGITS = 13
_SSN_MIN_DIGITS = 9
# the card pattern without its word boundaries and look-ahead (which only restrict it)
_CC = re.compile(r"\d{4}[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3,5}")
# covers all five SSN patterns: 5-4, 3-6, 3-2-4, 9 digits, 3[- .]2[- .]4
_SSN = re.compile(r"[0-9]{3}[- .]?[0-9]{2}[- .]?[0-9]{4}")

# entities this module can rule out; anything else (PERSON, LOCATION, ...) always goes to
# Presidio, unless its own recognizer can rule it out (`LexiconPersonRecognizer.could_match`)
PROVABLE = frozenset(
    {"EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IP_ADDRESS", "IBAN_CODE"}
)


def might_hold_pii(text: str) -> bool:
    """False when no provable entity can occur: no digit, no '@', no ':'."""
    return _ANY.search(text) is not None


def candidate_entities(text: str, enabled: frozenset[str], min_phone_digits: int) -> set[str]:
    """The enabled pattern entities `text` could contain; empty means none can be found."""
    found: set[str] = set()
    if _ANY.search(text) is None:
        return found
    if "@" in text:
        found.add("EMAIL_ADDRESS")
    if ":" in text and ("::" in text or text.count(":") >= 7):
        found.add("IP_ADDRESS")  # every IPv6 form has "::" or seven colons
    digits = len(_DIGIT.findall(text))
    if digits:
        if digits >= min_phone_digits:
            found.add("PHONE_NUMBER")
        if digits >= _CC_MIN_DIGITS and _CC.search(text):
            found.add("CREDIT_CARD")
        if digits >= _SSN_MIN_DIGITS and _SSN.search(text):
            found.add("US_SSN")
        if _IPV4.search(text):
            found.add("IP_ADDRESS")
        if _IBAN.search(text):
            found.add("IBAN_CODE")
    return found & enabled
