"""Cheap necessary conditions for each pattern recognizer: which entities a string COULD hold.

Each test below is implied by the recognizer's own pattern (presidio-analyzer 2.2.36x), so a
string failing it cannot produce that entity and Presidio need not be asked about it. Asking
Presidio only for the remaining entities gives the same results as asking for all of them:
a recognizer that cannot match contributes nothing to the merge. The PII corpus test checks it.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata
from phonenumbers.phonenumbermatcher import _PATTERN as _PHONE_CANDIDATE
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

# any character that can start one of the conditions below: most clean text has none
_ANY = re.compile(r"[\d@:]")
_DIGIT = re.compile(r"\d")  # Unicode Nd, as phonenumbers and Presidio's \d see digits
_IPV4 = re.compile(r"[0-9]\.[0-9]")
_IBAN = re.compile(r"[A-Za-z]{2}[0-9]{2}")

# patterns need: credit card 4+3+3+3 digits, SSN 9 ASCII digits, IBAN 2 ASCII digits
_CC_MIN_DIGITS = 13
_SSN_MIN_DIGITS = 9


@lru_cache(maxsize=1)
def phone_min_digits() -> int:
    """Fewest digits any valid number of any region has (phonenumbers' VALID leniency)."""
    lengths: list[int] = []
    descs = [PhoneMetadata.metadata_for_region(r) for r in phonenumbers.SUPPORTED_REGIONS]
    descs += [
        PhoneMetadata.metadata_for_nongeo_region(c)
        for c in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS
    ]
    for meta in descs:
        if meta is not None:
            lengths += [n for n in meta.general_desc.possible_length or () if n > 0]
    return min(lengths) if lengths else 1


_PURE_DIGITS = re.compile(r"\d+")
_PHONE_REGIONS = tuple(PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS)


@lru_cache(maxsize=65_536)
def _valid_in_some_region(digits: str) -> bool:
    for region in _PHONE_REGIONS:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(digits, region)):
                return True
        except NumberParseException:
            continue
    return False


def phone_ruled_out(text: str) -> bool:
    """True when Presidio's phone recognizer provably finds nothing in `text`.

    It runs phonenumbers' matcher once per region; the matcher's candidates come from one
    region-independent pattern (used here as is). A candidate made only of digits has no inner
    sub-candidates, so it matches only if it parses as a valid number in that region. When every
    candidate is such a run and none is valid in any supported region, no region can match.
    Anything else (a '+', separators, brackets) is left to Presidio.
    """
    for match in _PHONE_CANDIDATE.finditer(text):
        candidate = match.group()
        if not _PURE_DIGITS.fullmatch(candidate):
            return False
        if len(candidate) >= phone_min_digits() and _valid_in_some_region(candidate):
            return False
    return True


def candidate_entities(text: str, enabled: frozenset[str]) -> frozenset[str]:
    """The enabled entities `text` could contain; empty means Presidio would find nothing."""
    if _ANY.search(text) is None:
        return frozenset()
    found: set[str] = set()
    if "@" in text:
        found.add("EMAIL_ADDRESS")
    if ":" in text and ("::" in text or text.count(":") >= 7):
        found.add("IP_ADDRESS")  # every IPv6 form has "::" or seven colons
    digits = len(_DIGIT.findall(text))
    if digits:
        if digits >= phone_min_digits() and not phone_ruled_out(text):
            found.add("PHONE_NUMBER")
        if digits >= _CC_MIN_DIGITS:
            found.add("CREDIT_CARD")
        if digits >= _SSN_MIN_DIGITS:
            found.add("US_SSN")
        if _IPV4.search(text):
            found.add("IP_ADDRESS")
        if _IBAN.search(text):
            found.add("IBAN_CODE")
    return frozenset(found) & enabled


# entities this module can rule out; anything else (PERSON, LOCATION, ...) always goes to Presidio
PROVABLE = frozenset(
    {"EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IP_ADDRESS", "IBAN_CODE"}
)
