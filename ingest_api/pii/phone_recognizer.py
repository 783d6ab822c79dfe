"""Presidio's phone recognizer, asking phonenumbers only about the digit groups that could matter.

`PhoneRecognizer.analyze` runs the public `PhoneNumberMatcher` over the whole text once per
region; `ScreenedPhoneRecognizer` runs the same public matcher, with the same regions and
leniency, on each window the screen keeps (a digit group and the characters the matcher reads
around it), in the regions whose numbers can be that long, and remembers each window's answer:
order numbers, years and the same phone number come back in text after text.
"""

from __future__ import annotations

from functools import lru_cache

from phonenumbers import PhoneNumberMatcher
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from ingest_api.pii.phone_screen import PhoneScreen


class ScreenedPhoneRecognizer(PhoneRecognizer):
    """`PhoneRecognizer` on the screen's windows, each window's matches cached."""

    def __init__(self, *args, cache_size: int = 65_536, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.screen = PhoneScreen(self.supported_regions, self.leniency)
        self._window_matches = lru_cache(maxsize=cache_size)(self._matches)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = [
            self._result(window.offset + start, window.offset + end, region)
            for window in self.screen.windows(text)
            for start, end, region in self._window_matches(window.text, window.regions)
        ]
        return EntityRecognizer.remove_duplicates(results)

    def _matches(self, window: str, regions: tuple[str, ...]) -> tuple[tuple[int, int, str], ...]:
        found: dict[tuple[int, int], str] = {}
        for region in regions:
            for match in PhoneNumberMatcher(window, region, leniency=self.leniency):
                found.setdefault((match.start, match.end), region)
        return tuple((start, end, region) for (start, end), region in found.items())

    def _result(self, start: int, end: int, region: str) -> RecognizerResult:
        return RecognizerResult(
            entity_type=self.supported_entities[0],
            start=start,
            end=end,
            score=self.SCORE,
            analysis_explanation=AnalysisExplanation(
                recognizer=type(self).__name__,
                original_score=self.SCORE,
                textual_explanation=f"Recognized as {region} region phone number",
            ),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


def screened_phone_recognizer(analyzer) -> ScreenedPhoneRecognizer:
    """A screened twin of the analyzer's own phone recognizer (same regions, leniency, context)."""
    (phone,) = [
        r
        for r in analyzer.registry.get_recognizers("en", ["PHONE_NUMBER"])
        if isinstance(r, PhoneRecognizer)
    ]
    return ScreenedPhoneRecognizer(
        context=phone.context,
        supported_language=phone.supported_language,
        supported_entity=phone.supported_entities[0],
        supported_regions=phone.supported_regions,
        leniency=phone.leniency,
        name=phone.name,
    )
