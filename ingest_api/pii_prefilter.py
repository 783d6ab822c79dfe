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
from phonenumbers import PhoneMetadata

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
        if digits >= phone_min_digits():
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
