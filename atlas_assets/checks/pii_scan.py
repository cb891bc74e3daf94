"""Scanning sampled columns for PII: which entity types each column holds, and in what share of rows.

Every distinct sampled value is analysed once, and only by the recognizers it could possibly
satisfy: a cheap vectorised pre-filter (RE2, via Arrow) rules out, say, phone numbers in a value
with fewer than seven digits, or names in a single token that holds digits or an `@`. Presidio
still makes every detection; the pre-filter only skips work whose answer is certain.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from atlas_assets.checks.pii_engine import NER_ENTITIES, EngineSettings, PiiAnalyzer, pii_analyzer
from atlas_assets.checks.pii_sample import ColumnSample, column_sample, sample_table, scannable_columns
from atlas_assets.config.privacy import PiiRecognizerConfig
from atlas_assets.config.settings import PiiConfig

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
class ScanResult:
    """A scan of one run's rows: findings per scanned column (values themselves are never kept)."""

    sampled_rows: int
    columns: list[ColumnFindings]
    entities: tuple[str, ...]
    unknown_entities: tuple[str, ...]
    seconds: float

    def detected(self, min_hit_rate: float) -> dict[str, dict[str, float]]:
        """column → entity → hit rate, for entities at or above `min_hit_rate`."""
        found: dict[str, dict[str, float]] = {}
        for findings in self.columns:
            rates = {e: r for e, r in sorted(findings.hit_rates.items()) if r >= min_hit_rate}
            if rates:
                found[findings.column] = rates
        return found


def scan_table(
    data: pa.Table,
    config: PiiConfig,
    *,
    skip_columns: set[str],
    recognizers: tuple[PiiRecognizerConfig, ...] = (),
    seed: str = "",
) -> ScanResult:
    """Sample `data` per `config` and measure every entity's hit rate in each text column.

    `skip_columns` are left out (declared PII, already known); `seed` makes the sample stable.
    """
    started = time.perf_counter()
    columns = scannable_columns(data.schema, skip_columns | set(config.exclude_columns))
    wanted = tuple(dict.fromkeys([*config.entities, *(r.entity for r in recognizers)]))
    if not columns or data.num_rows == 0:
        return ScanResult(0, [], wanted, (), time.perf_counter() - started)
    analyzer = pii_analyzer(EngineSettings(tuple(config.phone_regions), tuple(recognizers)))
    entities = tuple(e for e in wanted if e in analyzer.supported_entities)
    unknown = tuple(e for e in wanted if e not in analyzer.supported_entities)
    sample = sample_table(data, columns, config.sample_rows, seed)
    threshold = config.score_threshold
    findings = [_scan_column(analyzer, column_sample(sample, name), entities, threshold) for name in columns]
    return ScanResult(sample.num_rows, findings, entities, unknown, time.perf_counter() - started)


def _scan_column(
    analyzer: PiiAnalyzer, sample: ColumnSample, entities: tuple[str, ...], threshold: float
) -> ColumnFindings:
    if sample.rows == 0 or not entities:
        return ColumnFindings(sample.column, sample.rows, sample.distinct)
    candidates = _candidate_masks(sample.values, entities)
    ner_entities = [e for e in entities if e in NER_ENTITIES]
    needs_ner = np.logical_or.reduce([candidates[e] for e in ner_entities]) if ner_entities else None
    context = column_context(sample.column)
    hits = dict.fromkeys(entities, 0)
    for with_ner in (True, False):
        if with_ner and needs_ner is None:
            continue
        rows = _rows_for(candidates, needs_ner, with_ner)
        if rows.size == 0:
            continue
        texts = sample.values.take(pa.array(rows)).to_pylist()
        for row, text, artifacts in zip(rows, texts, analyzer.artifacts(texts, with_ner), strict=True):
            asked = [e for e in entities if candidates[e][row]]
            found = {r.entity_type for r in analyzer.analyze(text, artifacts, asked, context, threshold)}
            for entity in found & hits.keys():
                hits[entity] += int(sample.counts[row])
    rates = {e: round(n / sample.rows, 4) for e, n in hits.items() if n}
    return ColumnFindings(sample.column, sample.rows, sample.distinct, rates)


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
