"""Detecting PII entities in sampled columns: which entity types each holds, in what share of rows.

Every distinct sampled value is analysed once, and only by the recognizers it could possibly
satisfy: a cheap vectorised pre-filter (RE2, via Arrow) rules out, say, phone numbers in a value
with fewer than seven digits, or names in a single token that holds digits or an `@`. Presidio
still makes every detection; the pre-filter only skips work whose answer is certain. That is also
what keeps a scan's fixed cost down: pattern recognizers run first, the NER model loads only when
some value could hold a named entity, and a sample where no value could hold any wanted entity
does not load Presidio at all.

No runner.yaml model is imported here, so the scan worker process loads only Presidio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from atlas_assets.checks.pii.engine import NER_ENTITIES, EngineSettings, PiiAnalyzer, pii_analyzer
from atlas_assets.checks.pii.sample import ColumnSample

# Necessary conditions for Presidio's pattern recognizers to match (RE2 syntax). A value that
# fails an entity's condition cannot be detected as that entity, so its recognizer is skipped.
_CANDIDATE = {
    "EMAIL_ADDRESS": r"@",
    "PHONE_NUMBER": r"\d(?:[^\d\pL]{0,3}\d){6,}",
    "CREDIT_CARD": r"\d(?:[\s\-]?\d){11,}",
    "IBAN_CODE": r"[A-Za-z]{2}\d{2}",
    "IP_ADDRESS": r"\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:",
    "US_SSN": r"\d{3}\D?\d{2}\D?\d{4}",
}
# Named entities need letters: free text (two letters and a space), or a lone word of letters.
# A single token with digits or an `@` (ids, emails, codes) is never a name, place or group.
_NER_CANDIDATE = r"(?:\pL\pL.*\s|\s.*\pL\pL)|^[\pL\pM'\x{2019}.\-]*\pL\pL[\pL\pM'\x{2019}.\-]*$"

_WORD_SPLIT = re.compile(r"[^0-9A-Za-z]+|(?<=[a-z])(?=[A-Z])")


@dataclass(frozen=True)
class ColumnFindings:
    """One scanned column: sampled rows and values, and each entity's share of those rows."""

    column: str
    rows: int
    distinct: int
    hit_rates: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Detection:
    """Findings per column, the entities looked for, those no recognizer supports, and the
    columns whose values needed the NER model (the scan's expensive part)."""

    columns: list[ColumnFindings]
    entities: tuple[str, ...]
    unknown_entities: tuple[str, ...]
    ner_columns: tuple[str, ...] = ()


def detect(
    settings: EngineSettings, samples: list[ColumnSample], wanted: tuple[str, ...], threshold: float
) -> Detection:
    """Hit rates of the `wanted` entities (those the analyzer supports) in every sampled column.

    The analyzer for `settings` is built only if some sampled value could hold a wanted entity.
    """
    if _nothing_to_analyze(samples, wanted):
        return Detection([ColumnFindings(s.column, s.rows, s.distinct) for s in samples], wanted, ())
    analyzer = pii_analyzer(settings)
    entities = tuple(e for e in wanted if e in analyzer.supported_entities)
    unknown = tuple(e for e in wanted if e not in analyzer.supported_entities)
    columns, ner_columns = [], []
    for sample in samples:
        findings, used_ner = scan_column(analyzer, sample, entities, threshold)
        columns.append(findings)
        if used_ner:
            ner_columns.append(sample.column)
    return Detection(columns, entities, unknown, tuple(ner_columns))


def _nothing_to_analyze(samples: list[ColumnSample], wanted: tuple[str, ...]) -> bool:
    """True when every wanted entity is a built-in with a known condition and no value meets any."""
    if not all(e in _CANDIDATE or e in NER_ENTITIES for e in wanted):
        return False  # a tenant's or an unknown entity: only Presidio can tell
    return not any(
        mask.any() for s in samples if s.rows for mask in _candidate_masks(s.values, wanted).values()
    )


def scan_column(
    analyzer: PiiAnalyzer, sample: ColumnSample, entities: tuple[str, ...], threshold: float
) -> tuple[ColumnFindings, bool]:
    """Each entity's share of the column's sampled rows (values analysed once each, distinct),
    and whether any value needed the NER model.

    Pattern-only values are analysed first; the NER pass (loading the model on first use) runs
    only over values that could hold a named entity.
    """
    if sample.rows == 0 or not entities:
        return ColumnFindings(sample.column, sample.rows, sample.distinct), False
    candidates = _candidate_masks(sample.values, entities)
    ner_entities = [e for e in entities if e in NER_ENTITIES]
    needs_ner = np.logical_or.reduce([candidates[e] for e in ner_entities]) if ner_entities else None
    context = column_context(sample.column)
    hits = dict.fromkeys(entities, 0)
    used_ner = False
    for with_ner in (False, True):
        if with_ner and needs_ner is None:
            continue
        rows = _rows_for(candidates, needs_ner, with_ner)
        if rows.size == 0:
            continue
        used_ner = used_ner or with_ner
        texts = sample.values.take(pa.array(rows)).to_pylist()
        for row, text, artifacts in zip(rows, texts, analyzer.artifacts(texts, with_ner), strict=True):
            asked = [e for e in entities if candidates[e][row]]
            results = analyzer.analyze(text, artifacts, asked, context, threshold)
            found = {r.entity_type for r in results if _plausible(r, text)}
            for entity in found & hits.keys():
                hits[entity] += int(sample.counts[row])
    rates = {e: round(n / sample.rows, 4) for e, n in hits.items() if n}
    return ColumnFindings(sample.column, sample.rows, sample.distinct, rates), used_ner


def _plausible(result: Any, text: str) -> bool:
    """Drop the small NER model's typical false positive: a lower-case phrase inside free text
    taken for a person ("gift wrap please"). A name is capitalised, or is the whole value
    (a lower-case name column still counts)."""
    if result.entity_type != "PERSON":
        return True
    span = text[result.start : result.end]
    return span.strip() == text.strip() or any(ch.isupper() for ch in span)


def _candidate_masks(values: pa.Array, entities: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Per entity, which values could hold it (True where no cheap condition is known)."""
    masks: dict[str, np.ndarray] = {}
    ner = None
    for entity in entities:
        if entity in _CANDIDATE:
            masks[entity] = _matches(values, _CANDIDATE[entity])
        elif entity in NER_ENTITIES:
            ner = _matches(values, _NER_CANDIDATE) if ner is None else ner
            masks[entity] = ner
        else:
            masks[entity] = np.ones(len(values), dtype=bool)
    return masks


def _rows_for(candidates: dict[str, np.ndarray], needs_ner: np.ndarray | None, with_ner: bool) -> np.ndarray:
    """Value positions to analyse in this pass: NER candidates in one, the other candidates in the other."""
    any_candidate = np.logical_or.reduce(list(candidates.values()))
    if needs_ner is None:
        return np.flatnonzero(any_candidate)
    return np.flatnonzero(needs_ner if with_ner else any_candidate & ~needs_ner)


def _matches(values: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False).astype(bool)


def column_context(column: str) -> list[str]:
    """Context words from a column name: `customerEmail` → customer, email (Presidio lower-cases)."""
    return [word for word in _WORD_SPLIT.split(column) if word]
