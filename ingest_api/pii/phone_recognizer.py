"""Presidio's phone recognizer with phonenumbers' walk replayed from a per-candidate cache.

`PhoneRecognizer.analyze` runs `PhoneNumberMatcher` over the whole text once per region; each
candidate costs parses, and the same candidates (ids, dates, amounts) come back in every text.
The matcher's step for one candidate reads only the candidate, the character before it and
three after it, plus its remaining try budget. `CachedPhoneRecognizer` replays the matcher's
walk (`_find`, `has_next`) itself and takes each step's outcome (match, tries used) from the
phone screen when it proved the region's matcher parses nothing valid there (the common case:
the step then only counts its tries), else from a cache keyed by region and context,
recomputing a step whenever the remaining budget could change it. Its results are the
parent's, built by the parent's own code; the fuzz tests compare the engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneNumberMatcher
from phonenumbers.phonenumberutil import NumberParseException
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from ingest_api.pii.phone_screen import CANDIDATE, SECOND_NUMBER, PhoneScreen

_MAX_TRIES = 65_535  # PhoneNumberMatcher's default, as the parent uses it


class _Span(NamedTuple):
    start: int
    end: int


class _Step(NamedTuple):
    found: tuple[int, int] | None  # (start, length) within before + candidate + after
    tries_used: int


class CachedPhoneRecognizer(PhoneRecognizer):
    """Same results as `PhoneRecognizer`, each candidate step computed once per context."""

    def __init__(self, *args, screen: PhoneScreen, cache_size: int = 65_536, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._screen = screen
        self._cached_step = lru_cache(maxsize=cache_size)(self._step)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts = None
    ) -> list[RecognizerResult]:
        results = []
        for region in self.supported_regions:
            for match in self._matches(text, region):
                # the parent's loop body, unchanged (the region only feeds the explanation)
                try:
                    parsed_number = phonenumbers.parse(text[match.start : match.end])
                    region = phonenumbers.region_code_for_number(parsed_number)
                    results += [self._get_recognizer_result(match, text, region, nlp_artifacts)]
                except NumberParseException:
                    results += [self._get_recognizer_result(match, text, region, nlp_artifacts)]
        return EntityRecognizer.remove_duplicates(results)

    def _matches(self, text: str, region: str) -> Iterator[_Span]:
        """What iterating `PhoneNumberMatcher(text, region, leniency)` yields, as spans."""
        tries = _MAX_TRIES
        index = 0
        while True:
            found = None
            match = CANDIDATE.search(text, index)
            while tries > 0 and match is not None:  # PhoneNumberMatcher._find
                start = match.start()
                candidate = text[start : match.end()]
                trailing = SECOND_NUMBER.search(candidate)
                if trailing:
                    candidate = candidate[: trailing.start()]
                if len(candidate) >= 1:
                    before = text[start - 1 : start]
                    after = text[start + len(candidate) : start + len(candidate) + 3]
                    if region in self._screen.candidate_regions(before, candidate, after):
                        step = self._cached_step(region, before, candidate, after, None)
                    else:  # no attempt is valid in this region: the step only counts tries
                        step = _Step(None, self._screen.step_attempts(before, candidate, after)[1])
                    if step.tries_used >= tries:  # the budget may bind: replay with it
                        step = self._step(region, before, candidate, after, tries)
                    tries -= step.tries_used
                    if step.found is not None:
                        at = start - len(before) + step.found[0]
                        found = _Span(at, at + step.found[1])
                        break
                    tries -= 1
                index = start + len(candidate)
                match = CANDIDATE.search(text, index)
            if found is None:
                return
            yield found
            index = found.end

    def _step(
        self, region: str, before: str, candidate: str, after: str, tries: int | None
    ) -> _Step:
        budget = _MAX_TRIES if tries is None else tries
        matcher = PhoneNumberMatcher(
            before + candidate + after, region, leniency=self.leniency, max_tries=budget
        )
        match = matcher._extract_match(candidate, len(before))
        found = None if match is None else (match.start, len(match.raw_string))
        return _Step(found, budget - matcher._max_tries)


def use_cached_phone_recognizer(analyzer, screen: PhoneScreen) -> None:
    """Swap the analyzer's phone recognizer for the cached one, with the same settings."""
    (phone,) = [
        r
        for r in analyzer.registry.get_recognizers("en", ["PHONE_NUMBER"])
        if type(r) is PhoneRecognizer
    ]
    cached = CachedPhoneRecognizer(
        context=phone.context,
        supported_language=phone.supported_language,
        supported_entity=phone.supported_entities[0],
        supported_regions=phone.supported_regions,
        leniency=phone.leniency,
        name=phone.name,
        screen=screen,
    )
    analyzer.registry.recognizers = [
        cached if r is phone else r for r in analyzer.registry.recognizers
    ]
