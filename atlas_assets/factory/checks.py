"""The asset checks every ingestion asset carries, and evaluating them on what a run wrote."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg

from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.iceberg.table_writer import WriteReport

QUARANTINE_CHECK = "no_quarantined_rows"


def ingestion_check_specs(spec: ObjectSpec) -> list[dg.AssetCheckSpec]:
    """Checks declared on the object's asset (cheap: runs at definitions load)."""
    return [
        dg.AssetCheckSpec(
            QUARANTINE_CHECK,
            asset=spec.asset_key,
            description="Every extracted row passed validation; failures are in the quarantine table.",
        ),
    ]


def evaluate_ingestion_checks(spec: ObjectSpec, report: WriteReport) -> Iterator[dg.AssetCheckResult]:
    """Results for `ingestion_check_specs`, from the run's write report."""
    quarantined = report.rows_quarantined
    total = report.rows_written + quarantined
    yield dg.AssetCheckResult(
        check_name=QUARANTINE_CHECK,
        asset_key=spec.asset_key,
        passed=quarantined == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "rows_quarantined": quarantined,
            "quarantined_pct": round(100.0 * quarantined / total, 3) if total else 0.0,
            "quarantine_table": f"{spec.namespace}.{spec.table_name}__quarantine",
        },
    )
