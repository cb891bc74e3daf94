"""The asset checks every ingestion asset carries, and evaluating them on what a run wrote.

Quarantine, quality (Soda) and PII (Presidio) checks run in the asset's own op right after its
Iceberg commit, over exactly the rows that commit added: no second op per asset, and a blocking
check's failure stops downstream assets in the same run.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import dagster as dg
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds

from atlas_assets.checks.pii.check import pii_check_specs, run_pii_checks
from atlas_assets.checks.quality.check import quality_check_specs, run_quality_checks
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.iceberg.table_writer import WriteReport

QUARANTINE_CHECK = "no_quarantined_rows"


def ingestion_check_specs(
    spec: ObjectSpec, partitions_def: dg.PartitionsDefinition | None
) -> list[dg.AssetCheckSpec]:
    """Checks declared on the object's asset (cheap: runs at definitions load)."""
    quarantine = dg.AssetCheckSpec(
        QUARANTINE_CHECK,
        asset=spec.asset_key,
        description="Every extracted row passed validation; failures are in the quarantine table.",
        partitions_def=partitions_def,
    )
    return [
        quarantine,
        *quality_check_specs(spec, partitions_def=partitions_def),
        *pii_check_specs(spec, partitions_def=partitions_def),
    ]


def evaluate_ingestion_checks(
    spec: ObjectSpec, report: WriteReport, window: TimeWindow | None, declared: list[dg.AssetCheckSpec]
) -> Iterator[dg.AssetCheckResult]:
    """Results for every declared check, from the run's write report and the rows it wrote."""
    yield _quarantine_result(spec, report)
    if len(declared) > 1:
        written = report.written_dataset()
        yield from run_quality_checks(spec, written, window)
        candidates = pii_candidates(written, spec.pii_scan.sample_rows, seed=spec.label)
        yield from run_pii_checks(spec, candidates)


def pii_candidates(written: ds.Dataset, sample_rows: int, seed: str) -> pa.Table:
    """A seeded random subset of rows (ten per sampled row) for the PII scan to sample from.

    Random rather than evenly spaced, which aliases with periodic data (every 100th row of a
    generator with period 10 sees one kind of row). One streaming pass keeps only the chosen
    rows of each batch, so memory is bounded by the batch and the sample whatever the
    partition's size; the same data and seed always yield the same rows.
    """
    total = written.count_rows()
    limit = sample_rows * 10
    if total <= limit:
        return written.to_table()
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    wanted = np.sort(rng.choice(total, size=limit, replace=False))
    picked, offset = [], 0
    for batch in written.to_batches(batch_size=65_536, batch_readahead=1, fragment_readahead=1):
        local = wanted[(wanted >= offset) & (wanted < offset + batch.num_rows)] - offset
        if local.size:
            picked.append(batch.take(pa.array(local)))
        offset += batch.num_rows
    return pa.Table.from_batches(picked, schema=written.schema)


def _quarantine_result(spec: ObjectSpec, report: WriteReport) -> dg.AssetCheckResult:
    quarantined = report.rows_quarantined
    total = report.rows_written + quarantined
    return dg.AssetCheckResult(
        check_name=QUARANTINE_CHECK,
        asset_key=spec.asset_key,
        passed=quarantined == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "rows_quarantined": quarantined,
            "quarantined_pct": round(100.0 * quarantined / total, 3) if total else 0.0,
            "quarantine_table": f"{spec.namespace}.{spec.quarantine_table}",
        },
    )
