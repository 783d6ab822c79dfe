"""Where in a string a phone number could be, and which regions could accept it: public API only.

Presidio's phone recognizer runs phonenumbers' `PhoneNumberMatcher` over the whole text once per
region (eight by default); each run parses every digit group it meets, and most digit groups in
LLM text and logs are counts, money, dates, versions and ids. The screen finds the digit groups
with its own pattern (the matcher's candidate shape, written out below), drops the ones no
region can accept by rules stated here, and hands each remaining group, with the one character
before it and three after it (all the context the matcher reads), to the public matcher, only
in the regions whose numbers can be that long. The rules:

- fewer digits than the shortest valid national number of any country (phonenumbers' public
  metadata): no region; without a plus sign, a letter or a digit run starting with 0 that has
  enough digits after it for a prefix, a country code and a number, no international prefix can
  apply (every supported region's has two or more digits and starts with 0), so a region is
  asked only if the group has as many digits as the region's own shortest number;
- ASCII digits and hyphens touching an ASCII letter (`a716-446655440000`, `cf256d`, `1234ms`):
  at VALID leniency the matcher refuses a candidate with a Latin letter next to it;
- dates and time stamps (`2026-03-14`, `2026-03-14 10` before `:30`, `3/14/2026`), which the
  matcher refuses too;
- a version glued to a letter (`v0.10.8`): the letter refuses the whole, and the matcher's
  inner attempts split it at the dots into pieces shorter than any number;
- an amount after a currency sign (`$291.22`, `€1,200`): the matcher refuses a candidate after
  a currency sign, and the cents after the point are too short to be a number;
- an id with a letter prefix or suffix (`ORD-2026-744418`, a UUID's `60797087-f5c1`):
  Presidio reports some as phone numbers; the labels call them ids;
- a run of ASCII digits alone, in a region whose formatting rule for it requires the national
  prefix it lacks, or that is no valid number there (Germany's `32050`, `2026`:
  `local_number.py`): the matcher refuses both.

The matcher reads of the context only whether a character is a Latin letter, punctuation or a
time-stamp suffix, so ASCII letters around a group are passed to it as `a`: the same group in
other words is then the same window, answered from the cache.

What is safe is measured, not assumed: recall and precision per entity against the labelled
corpora and the planted values of the fuzz set (`tests/unit/ingest_api/test_pii_fuzz.py`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import Leniency, PhoneMetadata

from ingest_api.pii.local_number import LocalNumberRule

# the matcher's candidate (libphonenumber's documented shape): up to two leading brackets or
# plus signs, digit blocks joined by up to four punctuation marks, an optional extension
_PUNCT = (
    "\\-x\u2010-\u2015\u2212\u30fc\uff0d-\uff0f \u00a0\u00ad\u200b\u2060\u3000"
    "()\uff08\uff09\uff3b\uff3d.\\[\\]/~\u2053\u223c\uff5e"
)
_LEAD = "(\\[\uff08\uff3b+\uff0b"
# Written as `(?:[LEAD][PUNCT]{0,4}){0,2}\d+(?:[PUNCT]{0,4}\d+)*` + extension, but led by
# one character class (a lead or a digit, then a look-behind says which): Python's `re` then
# skips in C to the characters that can start a group instead of trying the pattern at every
# position (about 3x less CPU on prose). `test_pii_screen.py` checks both spell the same.
GROUP = re.compile(
    f"[{_LEAD}\\d](?:(?<=[{_LEAD}])[{_PUNCT}]{{0,4}}(?:[{_LEAD}][{_PUNCT}]{{0,4}})?\\d+"
    f"|(?<=\\d)\\d*)(?:[{_PUNCT}]{{0,4}}\\d+)*"
    r"(?:[ \t]*(?:;ext=|ext[n.]?|#)[ \t.:]*\d{1,7})?",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")  # Unicode Nd, as the matcher sees digits
_PLUS = frozenset("+\uff0b")
_RUN_START = re.compile(r"(?<!\d)\d")
_PLAIN_DIGITS = re.compile(r"[0-9-]+")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_DATE = re.compile(
    r"[12]\d{3}-[01]\d-[0-3]\d(?: [0-2]\d)?|[12]\d{3}/[01]\d/[0-3]\d"
    r"|(?:[0-3]?\d/[01]?\d|[01]?\d/[0-3]?\d)/(?:[12]\d)?\d{2}"
)
_VERSION = re.compile(r"\d{1,3}(?:\.\d{1,3})+")
_MONEY = re.compile(r"[0-9]+(?:[.,][0-9]{1,2})?")
_CONTEXT_BEFORE, _CONTEXT_AFTER = 1, 3  # what the matcher reads around a candidate
_AS_LETTER = str.maketrans(dict.fromkeys(map(ord, _ASCII_LETTERS), "a"))
# an international call: a prefix of 2+ digits, a country code, the shortest national number
_IDD_EXTRA_DIGITS = 3


class Window(NamedTuple):
    """A digit group with its context, and the regions whose numbers can be that long."""

    offset: int
    text: str
    regions: tuple[str, ...]


def _shortest_nsn(regions: Iterable[str]) -> int:
    """Shortest national number length the metadata allows in any of `regions` (0: no bound)."""
    shortest: list[int] = []
    for region in regions:
        meta = (
            PhoneMetadata.metadata_for_nongeo_region(int(region))
            if region.isdigit()
            else PhoneMetadata.metadata_for_region(region)
        )
        if meta is None:
            continue
        lengths = [n for n in meta.general_desc.possible_length or () if n > 0]
        if not lengths:
            return 0
        shortest.append(min(lengths))
    return min(shortest, default=0)


def shortest_valid_nsn() -> int:
    """Fewest digits any valid number of any country has."""
    regions = list(phonenumbers.SUPPORTED_REGIONS)
    regions += [str(c) for c in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS]
    return _shortest_nsn(regions)


def own_country_minimum(region: str) -> int:
    """Shortest number of `region`'s own country code (what a local number can be); 0: none."""
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None:
        return 0
    idd = re.compile(meta.international_prefix or "NonMatch")
    if any(idd.match(d + "0" * 20) for d in "123456789"):
        return 0  # an international prefix not starting with 0: no bound
    return _shortest_nsn(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(meta.country_code, ()))


class PhoneScreen:
    """The digit groups of a string that could hold a phone number, with the regions to ask."""

    def __init__(self, regions: Iterable[str], leniency: int) -> None:
        # phonenumbers compiles its metadata patterns through `re`'s cache (512 entries), which
        # its own patterns for eight regions nearly fill and the rules here would overflow:
        # let it keep its compiled patterns itself (public, documented for many regions)
        phonenumbers.enable_pattern_cache()
        self.regions = tuple(regions)
        self.leniency = leniency
        self.min_digits = shortest_valid_nsn()
        # the length bound is about validity: VALID and stricter leniencies only
        strict = leniency >= Leniency.VALID
        self._own_min = {r: (own_country_minimum(r) if strict else 0) for r in self.regions}
        rules = {r: LocalNumberRule(r, leniency) for r in self.regions}
        # the same runs (years, ticket numbers) come back: each run's answer is remembered
        self._refused_locally = lru_cache(maxsize=65_536)(
            lambda region, digits: rules[region].refuses(digits)
        )
        # which regions to ask depends on the group alone: groups repeat across texts
        self._regions_for = lru_cache(maxsize=65_536)(self._regions)

    def windows(self, text: str) -> Iterator[Window]:
        """Each group no rule refuses, with its context and the regions that could accept it."""
        for match in GROUP.finditer(text):
            group = match.group()
            if len(group) < self.min_digits:
                continue  # most groups ("3", "45%", "v1.2"): too short to count their digits
            digits = len(_DIGIT.findall(group))
            if digits < self.min_digits:
                continue
            start, end = match.span()
            if self._refused(text, group, start, end):
                continue
            plain_run = (
                group.isdigit() and group.isascii() and not text[start - 1 : start].isdigit()
            )
            regions = self._regions_for(group, digits, plain_run)
            if regions:
                lo = max(0, start - _CONTEXT_BEFORE)
                before = text[lo:start].translate(_AS_LETTER)
                after = text[end : end + _CONTEXT_AFTER].translate(_AS_LETTER)
                yield Window(lo, before + group + after, regions)

    def could_hold_phone(self, text: str) -> bool:
        return next(self.windows(text), None) is not None

    def _refused(self, text: str, group: str, start: int, end: int) -> bool:
        plain = _PLAIN_DIGITS.fullmatch(group) is not None
        before = text[start - 1 : start]
        if plain and self.leniency >= Leniency.VALID:
            if before in _ASCII_LETTERS or text[end : end + 1] in _ASCII_LETTERS:
                return True  # glued to a word: an id, a hash, a unit
            if before == "-" and text[start - 2 : start - 1] in _ASCII_LETTERS:
                return True  # `ORD-2026-744418`: an id with a letter prefix
            if text[end : end + 1] == "-" and text[end + 1 : end + 2] in _ASCII_LETTERS:
                return True  # `60797087-f5c1`: a UUID's or hash's digit block
        if (
            before in _ASCII_LETTERS
            and _VERSION.fullmatch(group)
            and self.leniency >= Leniency.VALID
        ):
            return True
        if before and unicodedata.category(before) == "Sc" and _MONEY.fullmatch(group):
            return True
        return _DATE.fullmatch(group) is not None

    def _international_prefix_fits(self, group: str) -> bool:
        """A digit run starting with 0 (any script) with enough digits after it for a call."""
        left = len(_DIGIT.findall(group))  # digits from the current run to the end
        needed = self.min_digits + _IDD_EXTRA_DIGITS
        at = 0
        for run in _RUN_START.finditer(group):
            left -= len(_DIGIT.findall(group, at, run.start()))
            at = run.start()
            if left < needed:
                return False
            if unicodedata.decimal(run.group()) == 0:
                return True
        return False

    def _regions(self, group: str, digits: int, plain_run: bool) -> tuple[str, ...]:
        local_only = not (
            any(ch in _PLUS for ch in group)
            or any(ch.isalpha() for ch in group)
            or self._international_prefix_fits(group)
        )
        if not local_only:
            return self.regions
        return tuple(
            r
            for r in self.regions
            if digits >= self._own_min[r] and not (plain_run and self._refused_locally(r, group))
        )
