"""PII redaction of one string with Presidio (analyzer + anonymizer), offline, with a fast path.

Plain Presidio runs every enabled recognizer on every string. The fast path asks Presidio only
for the entities `prefilter` cannot rule out (none, for most text) and remembers recent
answers; its output is the same by construction, and
`tests/unit/ingest_api/test_pii_corpus.py` checks it.
"""

from __future__ import annotations

import importlib.util
import logging
from collections import OrderedDict
from collections.abc import Iterable

from ingest_api.pii.person_recognizer import LexiconPersonRecognizer
from ingest_api.pii.phone_recognizer import use_cached_phone_recognizer
from ingest_api.pii.phone_screen import PhoneScreen
from ingest_api.pii.prefilter import PROVABLE, candidate_entities, might_hold_pii

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
        provable = PROVABLE | ({"PERSON"} if self._person and not use_ner else set())
        self._always = self.entities - provable  # e.g. LOCATION: no cheap proof of absence
        self._phone = _phone_screen(self._analyzer)
        if fast_path:
            use_cached_phone_recognizer(self._analyzer, self._phone)
        # each recognizer on its own, to prove its entity absent before the engine runs
        self._dry = {
            e: self._analyzer.registry.get_recognizers("en", [e])
            for e in self.entities & provable - {"PHONE_NUMBER"}
        }
        self.fast_path = fast_path
        self._cache: OrderedDict[str, tuple[str, frozenset[str]]] = OrderedDict()
        self._cache_size = cache_size if fast_path else 0
        self.presidio_calls = 0

    def redact(self, text: str) -> tuple[str, frozenset[str]]:
        """The text with PII replaced, and the entity types replaced."""
        if not self.fast_path:
            return self._presidio(text, self._all)
        maybe_person = self._person is not None and self._person.could_match(text)
        if not self._always and not maybe_person and not might_hold_pii(text):
            return text, _NONE  # most text: not worth a cache slot
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        wanted = candidate_entities(text, self.entities, self._phone, maybe_person)
        if wanted and not self._always:
            wanted = self._confirmed(text, wanted)
        wanted |= self._always
        result = self._presidio(text, sorted(wanted)) if wanted else (text, _NONE)
        if self._cache_size and len(text) <= _CACHEABLE_CHARS:
            self._cache[text] = result
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def _confirmed(self, text: str, wanted: frozenset[str]) -> frozenset[str]:
        """`wanted` without the entities whose own recognizers find nothing in `text`.

        The engine would call the same recognizers on the same text; one that returns nothing
        adds nothing to the engine's merge, so leaving its entity out changes no result.
        """
        artifacts = None
        kept = set()
        for entity in wanted:
            recognizers = self._dry.get(entity)
            if recognizers is None:  # the phone screen already decided
                kept.add(entity)
                continue
            if artifacts is None:
                artifacts = self._analyzer.nlp_engine.process_text(text, "en")
            if any(r.analyze(text, [entity], artifacts) for r in recognizers):
                kept.add(entity)
        return frozenset(kept)

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
        self.redact("warm-up without anything to find")


def _phone_screen(analyzer) -> PhoneScreen:
    """A screen for the analyzer's own phone recognizer (its regions and leniency)."""
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    phones = [
        r
        for r in analyzer.registry.get_recognizers("en", ["PHONE_NUMBER"])
        if isinstance(r, PhoneRecognizer)
    ]
    assert len(phones) == 1, "the fast path models exactly one PhoneRecognizer"
    return PhoneScreen(phones[0].supported_regions, phones[0].leniency)


def _nlp_engine(spacy_model: str | None):
    """A blank engine (pattern recognizers need no model), or spaCy when NER is wanted."""
    from presidio_analyzer.nlp_engine import NoOpNlpEngine, SpacyNlpEngine

    if spacy_model:
        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": spacy_model}])
    else:
        engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    engine.load()
    return engine
