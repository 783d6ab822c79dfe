"""Proof that Presidio's phone recognizer finds nothing in a string, at a fraction of its cost.

The recognizer runs phonenumbers' `PhoneNumberMatcher` once per region (eight by default).
Each matcher walks the same region-independent candidates (one regex) and tries to parse each
one, reading only the candidate, the character before it and three after it. Its try budget
only ever *rejects*, so a candidate that does not match with a fresh matcher on that context
cannot match inside the text either. While no candidate matches, every region walks the same
candidates. Hence: if no candidate can match in its context in any region, no region matches
in the text and Presidio would report no phone number.

The matcher's per-candidate step tries the whole candidate, then "inner" groups of it; most
attempts are refused by checks that do not depend on the region (brackets, page references,
a letter next to it) before anything is parsed. `_Attempts` runs that step once, with the
library's own control flow, and collects the strings that would be parsed; only those are
parsed, per region, and their verdicts are cached. Two exact length bounds skip regions:
a valid number's national significant number (NSN) has a length its region's metadata allows,
and the NSN is made of the candidate's digits (letters too: phonenumbers maps letters to digits).
Without a plus sign, a letter or a digit run starting with 0, no international dialling
prefix can apply (every supported region's prefix starts with 0), so the number can only
belong to the region's own country code, whose shortest NSN is known.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers
from phonenumbers import Leniency, NumberParseException, PhoneMetadata, PhoneNumberMatcher
from phonenumbers.phonenumbermatcher import _LEAD_PATTERN, _MATCHING_BRACKETS, _PUB_PAGES, _verify
from phonenumbers.phonenumbermatcher import _PATTERN as CANDIDATE
from phonenumbers.phonenumbermatcher import _SECOND_NUMBER_START_PATTERN as SECOND_NUMBER
from phonenumbers.re_util import fullmatch

_PLUS = frozenset("+\uff0b")
_RUN_START = re.compile(r"(?<!\d)\d")  # \d is Unicode Nd, as in the matcher's pattern
# ASCII digits and hyphens: no _INNER_MATCHES pattern can match such a candidate (they need a
# slash, bracket, dot, whitespace or wide hyphen), so its only attempt is the whole candidate
_PLAIN_DIGITS = re.compile(r"[0-9-]+")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NO_ATTEMPTS: tuple[tuple[str, ...], int] = ((), 0)


def _shortest_nsn(regions: Iterable[str]) -> int:
    """Shortest NSN length `is_valid_number` accepts in any of `regions` (0: no bound)."""
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


def _own_country_minimum(region: str) -> int:
    """Shortest NSN for numbers of `region`'s own country code (what a local number can be)."""
    meta = PhoneMetadata.metadata_for_region(region)
    idd = re.compile(meta.international_prefix or "NonMatch")
    if any(idd.match(d + "0" * 20) for d in "123456789"):
        return 0  # an international prefix not starting with 0: no bound
    return _shortest_nsn(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(meta.country_code, ()))


def candidates(text: str) -> Iterable[tuple[int, str]]:
    """Start and text of the candidates `PhoneNumberMatcher` examines while it finds no match."""
    index = 0
    while (match := CANDIDATE.search(text, index)) is not None:
        start = match.start()
        candidate = text[start : match.end()]
        trailing = SECOND_NUMBER.search(candidate)
        if trailing:
            candidate = candidate[: trailing.start()]
        if not candidate:  # cannot happen (a candidate starts with a digit or lead char)
            yield start, text[start:]
            return
        yield start, candidate
        index = start + len(candidate)


class _Attempts(PhoneNumberMatcher):
    """The matcher's per-candidate step, collecting what it would parse instead of parsing."""

    budget = 65_535  # PhoneNumberMatcher's default max_tries, as Presidio uses it

    def __init__(self, text: str, leniency: int) -> None:
        super().__init__(text, None, leniency=leniency, max_tries=self.budget)
        self.to_parse: list[str] = []

    def _parse_and_verify(self, candidate: str, offset: int) -> None:
        # the region-independent checks of PhoneNumberMatcher._parse_and_verify (phonenumbers
        # 9.0.x), in order; test_phone_screen_matches_the_matcher holds this to the library
        if not fullmatch(_MATCHING_BRACKETS, candidate) or _PUB_PAGES.search(candidate):
            return None
        if self.leniency >= Leniency.VALID:
            if offset > 0 and not _LEAD_PATTERN.match(candidate):
                previous_char = self.text[offset - 1]
                if self._is_invalid_punctuation_symbol(previous_char) or self._is_latin_letter(
                    previous_char
                ):
                    return None
            last_char_index = offset + len(candidate)
            if last_char_index < len(self.text):
                next_char = self.text[last_char_index]
                if self._is_invalid_punctuation_symbol(next_char) or self._is_latin_letter(
                    next_char
                ):
                    return None
        self.to_parse.append(candidate)
        return None  # keep exploring: every attempt the matcher could make is collected


_NONE: frozenset[str] = frozenset()


class PhoneScreen:
    """Decides, exactly, whether Presidio's phone recognizer could find anything in a string."""

    def __init__(self, regions: Iterable[str], leniency: int, cache_size: int = 65_536) -> None:
        self.regions = tuple(regions)
        self.leniency = leniency
        self.min_alnum = shortest_valid_nsn()
        # the NSN bound is about validity: it holds for VALID and stricter leniencies only
        self._own_min = {
            r: (_own_country_minimum(r) if self.leniency >= Leniency.VALID else 0)
            for r in self.regions
        }
        # _verify consults a matcher (for its grouping checks) only at stricter leniencies
        self._groupers = {r: PhoneNumberMatcher("", r, self.leniency) for r in self.regions}
        self._cached_regions = lru_cache(maxsize=cache_size)(self._regions)
        self.valid_regions = lru_cache(maxsize=cache_size)(self._valid_regions)
        self.attempts = lru_cache(maxsize=cache_size)(self._attempts)

    def ruled_out(self, text: str) -> bool:
        """True when the phone recognizer provably returns nothing for `text`."""
        for start, candidate in candidates(text):
            end = start + len(candidate)
            # all the context the matcher reads: the character before (letter or currency
            # sign rejects), and three after (the next character; a ":mm" time-stamp suffix)
            if self.candidate_regions(text[start - 1 : start], candidate, text[end : end + 3]):
                return False
        return True

    def candidate_could_match(self, before: str, candidate: str, after: str) -> bool:
        return bool(self.candidate_regions(before, candidate, after))

    def candidate_regions(self, before: str, candidate: str, after: str) -> frozenset[str]:
        """The regions whose matcher finds a number at this candidate (empty for most)."""
        if self.glued_digits(before, candidate, after):
            return _NONE
        return self._cached_regions(before, candidate, after)

    def glued_digits(self, before: str, candidate: str, after: str) -> bool:
        """A run of ASCII digits and hyphens touching an ASCII letter: the matcher parses nothing.

        Ids and hashes (`a716-446655440000`, `cf256d`) are common in logs. Such a
        candidate has no inner match, and at VALID leniency the whole candidate is refused
        before parsing when a Latin letter precedes it (it cannot start with a lead bracket or
        plus) or follows it: no attempt, no try used, in every region.
        """
        if self.leniency < Leniency.VALID or _PLAIN_DIGITS.fullmatch(candidate) is None:
            return False
        # `before` is empty at the start of the text, where the matcher checks nothing
        return before in _ASCII_LETTERS or after[:1] in _ASCII_LETTERS

    def step_attempts(self, before: str, candidate: str, after: str) -> tuple[tuple[str, ...], int]:
        """What the matcher's step would parse here, and the tries it uses when none matches."""
        if self.glued_digits(before, candidate, after):
            return _NO_ATTEMPTS
        return self.attempts(before, candidate, after)

    def _could_match(self, before: str, candidate: str, after: str) -> bool:
        return bool(self._regions(before, candidate, after))

    def _regions(self, before: str, candidate: str, after: str) -> frozenset[str]:
        if sum(ch.isalnum() for ch in candidate) < self.min_alnum:
            return _NONE
        to_parse, _ = self.attempts(before, candidate, after)
        found: frozenset[str] = _NONE
        for attempt in to_parse:
            found |= self.valid_regions(attempt)
        return found

    def _attempts(self, before: str, candidate: str, after: str) -> tuple[tuple[str, ...], int]:
        """What the matcher's step would parse, and the tries it uses when none matches.

        Runs the library's own step on the candidate in its context; a fresh matcher has its
        full try budget, which in the text can only be smaller (`CachedPhoneRecognizer`
        checks the tries used against what is left before relying on them).
        """
        attempts = _Attempts(before + candidate + after, self.leniency)
        attempts._extract_match(candidate, len(before))
        return tuple(attempts.to_parse), attempts.budget - attempts._max_tries

    def _valid_regions(self, attempt: str) -> frozenset[str]:
        """The regions whose matcher accepts `attempt` once it parses it."""
        alnum = sum(ch.isalnum() for ch in attempt)
        if alnum < self.min_alnum:
            return _NONE
        local_only = not (
            any(ch in _PLUS for ch in attempt)
            or any(ch.isalpha() for ch in attempt)
            or _a_run_starts_with_zero(attempt)
        )
        valid: list[str] = []
        for region in self.regions:
            if local_only and alnum < self._own_min[region]:
                continue
            try:
                number = phonenumbers.parse(attempt, region, keep_raw_input=True)
            except NumberParseException:
                continue
            if _verify(self.leniency, number, attempt, self._groupers[region]):
                valid.append(region)
        return frozenset(valid)


def _a_run_starts_with_zero(candidate: str) -> bool:
    # such a run (in any script) could begin an international dialling prefix
    return any(unicodedata.decimal(m.group()) == 0 for m in _RUN_START.finditer(candidate))
