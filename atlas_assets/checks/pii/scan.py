"""Scanning what a run wrote for PII: sample it per the object's settings, detect, time it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyarrow as pa

from atlas_assets.checks.pii import worker as pii_worker
from atlas_assets.checks.pii.detect import ColumnFindings, Detection, detect
from atlas_assets.checks.pii.engine import CustomRecognizer, EngineSettings
from atlas_assets.checks.pii.sample import column_sample, sample_table, scannable_columns
from atlas_assets.config.privacy import PiiRecognizerConfig
from atlas_assets.config.settings import PiiConfig


@dataclass(frozen=True)
class ScanResult:
    """A scan of one run's rows: findings per scanned column (values themselves are never kept)."""

    sampled_rows: int
    columns: list[ColumnFindings]
    entities: tuple[str, ...]
    unknown_entities: tuple[str, ...]
    seconds: float
    ner_columns: tuple[str, ...] = ()

    def detected(self, min_hit_rate: float) -> dict[str, dict[str, float]]:
        """column → entity → hit rate, for entities at or above `min_hit_rate`."""
        found: dict[str, dict[str, float]] = {}
        for findings in self.columns:
            rates = {e: r for e, r in sorted(findings.hit_rates.items()) if r >= min_hit_rate}
            if rates:
                found[findings.column] = rates
        return found


def engine_settings(config: PiiConfig, recognizers: tuple[PiiRecognizerConfig, ...]) -> EngineSettings:
    """The analyzer an object's scan needs: its phone regions and its tenant's recognizers."""
    custom = tuple(
        CustomRecognizer(r.entity, tuple((p.regex, p.score) for p in r.patterns), tuple(r.context))
        for r in recognizers
    )
    return EngineSettings(tuple(config.phone_regions), custom)


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
    Detection runs in the scan worker process when one was started, else in this process.
    """
    started = time.perf_counter()
    columns = scannable_columns(data.schema, skip_columns | set(config.exclude_columns))
    wanted = tuple(dict.fromkeys([*config.entities, *(r.entity for r in recognizers)]))
    if not columns or data.num_rows == 0:
        return ScanResult(0, [], wanted, (), time.perf_counter() - started)
    sample = sample_table(data, columns, config.sample_rows, seed)
    samples = [column_sample(sample, name) for name in columns]
    settings = engine_settings(config, recognizers)
    detection: Detection | None = None
    if pii_worker.running():
        detection = pii_worker.detect_in_worker(settings, samples, wanted, config.score_threshold)
    if detection is None:
        detection = detect(settings, samples, wanted, config.score_threshold)
    seconds = time.perf_counter() - started
    return ScanResult(
        sample.num_rows,
        detection.columns,
        detection.entities,
        detection.unknown_entities,
        seconds,
        detection.ner_columns,
    )
