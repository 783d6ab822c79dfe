"""PII redaction of one string with Presidio's recognizers, offline, with a fast path.

Plain Presidio (`fast_path=False`) runs the analyzer engine with every recognizer on every
string, then the anonymizer. The fast path runs the same recognizers straight, only those whose
entity `prefilter` cannot rule out (none, for most text), and replaces what they find itself
when no two findings overlap (the anonymizer resolves overlaps). With no NLP model the engine
adds nothing the recognizers did not find: context enhancement needs the model's tokens, the
score threshold is 0 and duplicates are removed by the same `remove_duplicates`. Phone numbers
go through `ScreenedPhoneRecognizer`; answers of strings that needed a recognizer are cached.
`tests/unit/ingest_api/test_pii_corpus.py` and `test_pii_fuzz.py` score both against labels.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
from collections import OrderedDict
from collections.abc import Iterable

from presidio_analyzer import EntityRecognizer, RecognizerResult

from ingest_api.pii.person_recognizer import LexiconPersonRecognizer
from ingest_api.pii.phone_recognizer import screened_phone_recognizer
from ingest_api.pii.prefilter import PROVABLE, candidate_entities

_CACHEABLE_CHARS = 2_048
_NONE: frozenset[str] = frozenset()


def make_tldextract_offline() -> None:
    """Point tldextract (used by Presidio's email recognizer) at its bundled suffix list.

    Its default extractor fetches the public suffix list over the network on first use, in
    every process; the bundled snapshot is enough to tell whether an address has a real TLD.
    """
    import tldextract.tldextract as tld

    tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=(), cache_dir=None)


class Redactor:
    """Replaces each detected entity with `<ENTITY_TYPE>` and reports which types it found."""

    def __init__(
        self,
        entities: Iterable[str],
        *,
        ner_entities: Iterable[str] = (),
        spacy_model: str | None = None,
        fast_path: bool = True,
        cache_size: int = 20_000,
    ) -> None:
        from presidio_analyzer import AnalyzerEngine
        from presidio_anonymizer import AnonymizerEngine

        make_tldextract_offline()
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        entity_list = list(dict.fromkeys(entities))
        use_ner = bool(spacy_model) and importlib.util.find_spec(spacy_model) is not None
        if use_ner:
            entity_list += [e for e in ner_entities if e not in entity_list]
        self.entities = frozenset(entity_list)
        self.ner_model = spacy_model if use_ner else None
        self._analyzer = AnalyzerEngine(nlp_engine=_nlp_engine(self.ner_model))
        self._anonymizer = AnonymizerEngine()
        self._all = sorted(self.entities)
        # PERSON without a model: names from a lexicon and context (`person_recognizer`)
        self._person = LexiconPersonRecognizer() if "PERSON" in self.entities else None
        if self._person is not None:
            self._analyzer.registry.add_recognizer(self._person)
        # NER entities (spaCy), or entities without a screen here, have no cheap proof of
        # absence: then every string goes to the engine
        screened = PROVABLE | ({"PERSON"} if self._person is not None and not use_ner else set())
        self._engine_only = fast_path and not self.entities <= screened
        phone = screened_phone_recognizer(self._analyzer)
        self.phone_screen = phone.screen
        if self._engine_only:
            self._analyzer.registry.recognizers = [
                phone if r.name == phone.name else r for r in self._analyzer.registry.recognizers
            ]
        self._recognizers = {
            e: [phone]
            if e == "PHONE_NUMBER"
            else self._analyzer.registry.get_recognizers("en", [e])
            for e in self.entities & PROVABLE
        }
        self.fast_path = fast_path
        self._cache: OrderedDict[str, tuple[str, frozenset[str]]] = OrderedDict()
        self._cache_size = cache_size if fast_path else 0
        self.presidio_calls = 0

    def redact(self, text: str) -> tuple[str, frozenset[str]]:
        """The text with PII replaced, and the entity types replaced."""
        if not self.fast_path:
            return self._presidio(text, self._all)
        cached = self._cache.get(text)  # repeated log lines and metadata values: one lookup
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        if self._engine_only:
            result = self._presidio(text, self._all)
        else:
            maybe_person = self._person is not None and self._person.could_match(text)
            entities = candidate_entities(text, self.entities, self.phone_screen.min_digits)
            if maybe_person or entities:
                result = self._recognized(text, maybe_person, entities)
            else:
                result = (text, _NONE)  # most text: nothing any recognizer could find
        if self._cache_size and len(text) <= _CACHEABLE_CHARS:
            self._cache[text] = result
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def _recognized(
        self, text: str, maybe_person: bool, entities: set[str]
    ) -> tuple[str, frozenset[str]]:
        """Each candidate entity's recognizers, straight, then the replacement."""
        found: list[RecognizerResult] = []
        if maybe_person:
            found += self._person.analyze(text, ["PERSON"])
        for entity in entities:
            for recognizer in self._recognizers[entity]:
                found += recognizer.analyze(text, [entity], None)
        if not found:
            return text, _NONE
        found = EntityRecognizer.remove_duplicates(found)
        return self._replaced(text, found), frozenset(r.entity_type for r in found)

    def _replaced(self, text: str, found: list[RecognizerResult]) -> str:
        """`<ENTITY_TYPE>` over each finding; overlapping findings go to the anonymizer."""
        spans = sorted(found, key=lambda r: (r.start, -r.end))
        if any(b.start < a.end for a, b in itertools.pairwise(spans)):
            return self._anonymizer.anonymize(text=text, analyzer_results=found).text
        parts, at, last = [], 0, None
        for r in spans:
            gap = text[at : r.start]
            # the anonymizer's rule: same-type findings with only spaces between are one
            if r.entity_type != last or gap.strip(" "):
                parts += (gap, f"<{r.entity_type}>")
            at, last = r.end, r.entity_type
        parts.append(text[at:])
        return "".join(parts)

    def _presidio(self, text: str, entities: list[str]) -> tuple[str, frozenset[str]]:
        self.presidio_calls += 1
        found = self._analyzer.analyze(text=text, entities=entities, language="en")
        if not found:
            return text, frozenset()
        out = self._anonymizer.anonymize(text=text, analyzer_results=found)
        return out.text, frozenset(r.entity_type for r in found)

    def warm_up(self) -> None:
        """Compile every recognizer's patterns and load metadata before the first request."""
        sample = (
            "Hi, I'm Jane Doe: reach jane.doe@example.com, +1 212-555-0143, 10.0.0.1, "
            "DE89370400440532013000"
        )
        self._presidio(sample, self._all)
        self.redact(sample)
        self.redact("warm-up without anything to find")


def _nlp_engine(spacy_model: str | None):
    """A blank engine (pattern recognizers need no model), or spaCy when NER is wanted."""
    from presidio_analyzer.nlp_engine import NoOpNlpEngine, SpacyNlpEngine

    if spacy_model:
        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": spacy_model}])
    else:
        engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    engine.load()
    return engine
