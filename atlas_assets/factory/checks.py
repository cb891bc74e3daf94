"""The asset checks every ingestion asset carries, and evaluating them on what a run wrote.

Quarantine, quality (Soda) and PII (Presidio) checks run in the asset's own op right after its
Iceberg commit, over exactly the rows that commit added: no second op per asset, and a blocking
check's failure stops downstream assets in the same run. A run of several partitions (a
single-run backfill) evaluates every check once per partition, on that partition's rows.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import dagster as dg
import numpy as np
import pyarrow as pa

# Dagster exports no public way to name the materialization a hand-built evaluation checked.
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from atlas_assets.checks.pii.check import pii_check_specs, run_pii_checks
from atlas_assets.checks.quality.check import quality_check_specs, run_quality_checks
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.iceberg.partition_rows import PartitionRows, split_by_partition

if TYPE_CHECKING:
    import pyarrow.dataset as ds

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
    yield _quarantine_result(spec, report.rows_written, report.rows_quarantined)
    if len(declared) > 1:
        written = report.written_dataset()
        yield from _scans(spec, written, written, window, None)


def evaluate_checks_by_partition(
    spec: ObjectSpec,
    report: WriteReport,
    windows: dict[str, TimeWindow],
    context: dg.AssetExecutionContext,
) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
    """Every selected check of every partition of a range run, each on that partition's rows.

    Dagster gives an `AssetCheckResult` a partition only when the step has a single partition
    key: a range run's results would be recorded once without one, and every partition would
    read Skipped. Each partition's evaluation is reported instead, pointing at that partition's
    materialization (already recorded when the IO manager returned), so the UI shows each day's
    own Passed or Failed. PII too: a sample of each day's rows, so a day's verdict is its own.
    """
    selected = {
        check.name: (output, check)
        for output, check in context.assets_def.check_specs_by_output_name.items()
        if check.key in context.selected_asset_check_keys
    }
    for output, _ in selected.values():
        yield dg.Output(None, output_name=output)
    written = report.written_dataset()
    for part in split_by_partition(written.schema, spec.config.cursor, windows):
        target = _materialization_of(context.instance, spec.asset_key, part.key)
        for result in _partition_results(spec, report, written, part, len(selected) > 1):
            if result.check_name not in selected:
                continue
            yield dg.AssetCheckEvaluation(
                asset_key=spec.asset_key,
                check_name=result.check_name,
                passed=result.passed,
                metadata=result.metadata,
                target_materialization_data=target,
                severity=result.severity,
                description=result.description,
                blocking=selected[result.check_name][1].blocking,
                partition=part.key,
            )


def _partition_results(
    spec: ObjectSpec, report: WriteReport, written: ds.Dataset, part: PartitionRows, scans: bool
) -> Iterator[dg.AssetCheckResult]:
    rows = part.dataset(written)
    yield _quarantine_result(spec, rows.count_rows(), report.quarantined_by_partition.get(part.key, 0))
    if scans:
        yield from _scans(spec, written, rows, part.window, part)


def _scans(
    spec: ObjectSpec,
    written: ds.Dataset,
    rows: ds.Dataset,
    window: TimeWindow | None,
    part: PartitionRows | None,
) -> Iterator[dg.AssetCheckResult]:
    """The Soda contract's results, then the PII scan's, the two computed side by side.

    The scan is handed to a thread first: with the PII worker process running, that thread only
    waits for the worker, so the scan overlaps the contract instead of following it.
    """
    candidates = pii_candidates(rows, spec.pii_scan.sample_rows, seed=spec.label)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="atlas-pii-scan") as pool:
        pii = pool.submit(run_pii_checks, spec, candidates)
        yield from run_quality_checks(spec, written, window, rows=part)
        yield from pii.result()


def _materialization_of(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partition: str
) -> AssetCheckEvaluationTargetMaterializationData | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition]), limit=1
    ).records
    if not records:
        return None
    latest = records[0]
    return AssetCheckEvaluationTargetMaterializationData(
        storage_id=latest.storage_id, run_id=latest.run_id, timestamp=latest.timestamp
    )


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


def _quarantine_result(spec: ObjectSpec, written: int, quarantined: int) -> dg.AssetCheckResult:
    total = written + quarantined
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
