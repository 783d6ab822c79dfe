# ruff: noqa: RUF001  (the typographic apostrophe is meant)
"""PERSON without an NER model: a first-name/surname lexicon, the words around a name, and rules.

A candidate is a run of capitalised words (particles such as "van der" allowed inside; words of
caseless scripts only when in the lexicon), stripped of function words, greetings and titles at
its ends. A run naming a product, an organisation or a place is no person. Otherwise it is
one when: a title or self-introduction precedes it (`person_cues`); it has two or more words
and a greeting, closer or field precedes it; its first word is a lexicon first name and its
last a lexicon surname; or its first word is a lexicon first name that is not also a common
word or place. A single word needs a cue and the lexicon. `could_match` is a cheaper test
implied by those rules: where it says no, `analyze` finds nothing, so the fast path skips it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from ingest_api.pii.name_lexicon import NameLexicon, load_lexicon
from ingest_api.pii.person_cues import TITLES, cue_before
from ingest_api.pii.person_words import (
    AMBIGUOUS_FIRST,
    NOT_NAMES,
    NOT_PERSON_PARTS,
    PARTICLES,
    PRODUCTS,
)

# a word that does not start with a-z (so lowercase ASCII prose is skipped by the regex engine),
# not glued to a word before it ("non-Latin", "l'Oréal")
_WORD = re.compile(r"(?<![^\W\d_])(?<![^\W\d_]['’\-])[^\W\da-z_][^\W\d_]*(?:['’\-][^\W\d_]+)*")
# the same on ASCII text, where a leading character class lets the engine skip ahead; what
# precedes each match is checked in Python
_ASCII_WORD = re.compile(r"[A-Z][A-Za-z]*(?:['’\-][A-Za-z]+)*")
# a self-introduction in lowercase chat ("hi im jane doe"), and substrings it cannot lack
_LOWER_INTRO = re.compile(
    r"\b(?:my name is|i['’]?m|i am)\s+([^\W\d_]+)(?:\s+([^\W\d_]+))?", re.IGNORECASE
)
_INTRO_KEYS = ("name is", "im", "i'm", "i’m", "i am")
# whether `_LOWER_INTRO` matches, on lowercased ASCII text: the same test led by its first
# letter (the word boundary is the look-behind), so `re` skips in C to an `i` or `m` instead of
# trying every position; `_LOWER_INTRO` cannot be led so (case folding spoils the skip)
_LOWER_INTRO_ASCII = re.compile(
    r"[im](?<![0-9a-z_][im])(?:(?<=m)y name is|(?<=i)'?m|(?<=i) am)\s+[a-z]"
)
_SCORE = 0.85
_EDGE_WORDS = NOT_NAMES | {title for (title,) in TITLES}
_REJECT_WORDS = PRODUCTS | NOT_PERSON_PARTS


class _Token(NamedTuple):
    text: str
    start: int
    end: int
    possessive: bool = False


def _in_identifier(text: str, start: int, end: int) -> bool:
    """A word glued to an address, a path or a dotted name ("John.Smith@", "/Users/Jane")."""
    before, after = text[start - 1 : start], text[end : end + 2]
    if before and before in "@./\\_#":
        return True
    return after[:1] in ("@", "_", "/", "\\") or (after[:1] == "." and after[1:].isalnum())


def _glued(text: str, start: int) -> bool:
    """Whether the word at `start` continues a word before it."""
    before = text[max(0, start - 2) : start]
    return before[-1:].isalpha() or (before[-1:] in ("'", "’", "-") and before[:1].isalpha())


def _joins(gap: str) -> bool:
    """Whether two capitalised words with `gap` between them belong to one run."""
    if gap == " ":
        return True
    inner = gap[1:-1].split(" ")
    return gap[:1] == gap[-1:] == " " and len(inner) <= 2 and all(p in PARTICLES for p in inner)


def _in_run(text: str, words: list[re.Match[str]], i: int) -> bool:
    """Whether word `i` joins a capitalised word before or after it into one run."""
    before = i > 0 and _joins(text[words[i - 1].end() : words[i].start()])
    return before or (i + 1 < len(words) and _joins(text[words[i].end() : words[i + 1].start()]))


def _trimmed(run: list[_Token]) -> tuple[int, int]:
    """The run without function words, greetings and titles at its ends."""
    lo, hi = 0, len(run)
    while lo < hi and run[lo].text.lower() in _EDGE_WORDS:
        lo += 1
    while hi > lo and run[hi - 1].text.lower() in _EDGE_WORDS:
        hi -= 1
    return lo, hi


class LexiconPersonRecognizer(EntityRecognizer):
    """PERSON from a name lexicon and context rules; no model, no network."""

    def __init__(self, lexicon: NameLexicon | None = None) -> None:
        self._lexicon = lexicon or load_lexicon()
        self._last_runs: tuple[str | None, list[list[_Token]]] = (None, [])
        super().__init__(supported_entities=["PERSON"], name="LexiconPersonRecognizer", context=[])

    def load(self) -> None:
        pass

    def could_match(self, text: str) -> bool:
        """False only when `analyze` finds nothing (each check below is implied by `_judge`).

        A span needs one of: a lowercase self-introduction; a capitalised word after a `name`
        or `strong` cue; a lexicon first name that is not also a common word; a lexicon word in
        a run of two or more capitalised words, which must be a word that is not also a common
        word or place (`AMBIGUOUS_FIRST`: "Paris", "May") unless a cue precedes some
        capitalised word (a run of such words alone is a name only after a cue: each rule of
        `_judge` without one needs a lexicon word outside that list). The words are found with
        one regex, without `_tokens`' filters (which only remove words), so each is a superset
        of a run's words. ASCII text without a capital letter can only have the first.
        """
        lowered = text.lower()
        ascii_text = text.isascii()
        if any(k in lowered for k in _INTRO_KEYS):
            intro = _LOWER_INTRO_ASCII if ascii_text else _LOWER_INTRO
            if intro.search(lowered if ascii_text else text) is not None:
                return True
        if ascii_text and lowered == text:
            return False
        words = list((_ASCII_WORD if ascii_text else _WORD).finditer(text))
        ambiguous_in_run = weak_cue = False
        for i, match in enumerate(words):
            word = match.group()
            if word.endswith(("'s", "’s")):
                word = word[:-2]
            if self._known_first(word):
                return True
            if (self._is_first(word) or self._is_last(word)) and _in_run(text, words, i):
                if word.lower() not in AMBIGUOUS_FIRST:
                    return True
                ambiguous_in_run = True
            cue = cue_before(text, match.start())
            if cue in ("name", "strong"):
                return True
            weak_cue = weak_cue or cue == "weak"
        return ambiguous_in_run and weak_cue

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if "PERSON" not in entities:
            return []
        spans = [span for run in self._runs(text) if (span := self._judge(text, run))]
        if any(k in text.lower() for k in _INTRO_KEYS):
            spans += self._lowercase(text)
        return [
            RecognizerResult("PERSON", start, end, _SCORE, self._explanation())
            for start, end in sorted(set(spans))
        ]

    def _tokens(self, text: str) -> list[_Token]:
        """Capitalised words, and caseless-script words the lexicon knows."""
        out = []
        ascii_text = text.isascii()
        for match in (_ASCII_WORD if ascii_text else _WORD).finditer(text):
            if ascii_text and _glued(text, match.start()):
                continue  # inside a word: "iPhone", "non-Latin"
            word, end, possessive = match.group(), match.end(), False
            if word.endswith(("'s", "’s")):
                word, end, possessive = word[:-2], end - 2, True
            if _in_identifier(text, match.start(), end):
                continue
            head = word[0]
            cased = head.isupper() and not (len(word) > 1 and word.isupper())  # not "API"
            caseless = not head.islower() and not head.isupper() and word in self._lexicon
            if cased or caseless:
                out.append(_Token(word, match.start(), end, possessive))
        return out

    def _runs(self, text: str) -> list[list[_Token]]:
        """Capitalised words one space apart, or joined by particles ("Ines van der Berg")."""
        if self._last_runs[0] == text:  # `could_match` then `analyze` on the same string
            return self._last_runs[1]
        runs: list[list[_Token]] = []
        for token in self._tokens(text):
            if runs and _joins(text[runs[-1][-1].end : token.start]):
                runs[-1].append(token)
            else:
                runs.append([token])
        self._last_runs = (text, runs)
        return runs

    def _judge(self, text: str, run: list[_Token]) -> tuple[int, int] | None:
        if any(t.text.lower() in _REJECT_WORDS for t in run):
            return None
        lo, hi = _trimmed(run)
        names = [t.text for t in run[lo:hi]]
        if not names:
            return None
        span = (run[lo].start, run[hi - 1].end)
        cue = cue_before(text, span[0])
        first, last = names[0], names[-1]
        is_first, is_last = self._is_first(first), self._is_last(last)
        known_first = self._known_first(first)
        if cue == "name":
            return span
        if len(names) == 1:
            if cue == "strong" and (is_first or is_last):
                return span
            if known_first and (cue == "weak" or run[hi - 1].possessive):
                return span  # "ask Priya", "Priya's account"
            return None
        last_is_word = last.lower() in AMBIGUOUS_FIRST  # "Paris", "May": weak evidence
        if is_first and is_last and not (first.lower() in AMBIGUOUS_FIRST and last_is_word):
            return span
        if cue == "strong" or known_first:
            return span
        if is_last and not is_first and first.lower() not in AMBIGUOUS_FIRST and not last_is_word:
            return span  # a given name the lexicon lacks before a surname it has
        if cue == "weak" and any(n in self._lexicon for n in names):
            return span
        return None

    def _known_first(self, word: str) -> bool:
        """A lexicon first name that is not also a function word, a common word or a place."""
        lower = word.lower()
        return self._is_first(word) and lower not in AMBIGUOUS_FIRST and lower not in _EDGE_WORDS

    def _is_first(self, word: str) -> bool:
        first = self._lexicon.first
        return word in first or ("-" in word and word.split("-", 1)[0] in first)

    def _is_last(self, word: str) -> bool:
        last = self._lexicon.last
        return word in last or ("-" in word and any(p in last for p in word.split("-")))

    def _lowercase(self, text: str) -> list[tuple[int, int]]:
        spans = []
        for match in _LOWER_INTRO.finditer(text):
            first, last = match.group(1), match.group(2)
            if not first.islower() or first in NOT_NAMES or first in AMBIGUOUS_FIRST:
                continue
            if first.title() not in self._lexicon.first:
                continue
            end = match.end(1)
            if last and last.islower() and last.title() in self._lexicon.last:
                end = match.end(2)
            spans.append((match.start(1), end))
        return spans

    def _explanation(self) -> AnalysisExplanation:
        return AnalysisExplanation(
            recognizer=self.name, original_score=_SCORE, textual_explanation="lexicon and context"
        )
