"""PII checks of an object's asset: declared at definitions load, run on the rows each run wrote.

The functions the definitions factory calls:

- `pii_check_specs(spec)`: the `pii_scan` `AssetCheckSpec` (cheap: no Presidio or spaCy import).
- `warm_pii_engine(spec)` (optional, at the start of the asset's op): loads Presidio and spaCy in a
  worker process, so the ~1-2 s it takes overlaps the extraction instead of following it.
- `run_pii_checks(spec, data)`: samples the text columns of exactly the rows the run committed,
  detects PII entities with Presidio, and fails the check when a column not declared under the
  object's `pii:` holds any. Metadata reports column → entity type → hit rate, never a value,
  and which columns needed the NER model (`ner_columns`; spaCy's model loads only for those).

`pii_scan.on_undeclared` sets the outcome: `ignore` (no check, no scan), `warn` (WARN severity)
or `fail` (ERROR severity and blocking, so downstream assets such as `silver` do not run).
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import pyarrow as pa

from atlas_assets.config.resolve import ObjectSpec

PII_CHECK = "pii_scan"


def pii_check_specs(
    spec: ObjectSpec, *, partitions_def: dg.PartitionsDefinition | None = None
) -> list[dg.AssetCheckSpec]:
    """The object's PII check, or none when `pii_scan.on_undeclared` is `ignore`."""
    scan = spec.pii_scan
    if scan.on_undeclared == "ignore":
        return []
    declared = sorted(spec.config.pii)
    return [
        dg.AssetCheckSpec(
            PII_CHECK,
            asset=spec.asset_key,
            description=(
                "No PII in text columns not declared under `pii:` "
                f"(declared: {', '.join(declared) or 'none'}; sample of {scan.sample_rows} rows per run)."
            ),
            blocking=scan.on_undeclared == "fail",
            metadata={"atlas/check_kind": "pii", "atlas/declared_pii": ", ".join(declared)},
            partitions_def=partitions_def,
        )
    ]


def warm_pii_engine(spec: ObjectSpec) -> bool:
    """Start loading Presidio for the object's scan in a worker process, while the run ingests.

    Call it as the asset's op starts. The worker lives as long as this process; later scans run
    in it. Returns False (and scans stay in process) when no PII check applies or no process can
    be started.
    """
    if spec.pii_scan.on_undeclared == "ignore":
        return False
    from atlas_assets.checks.pii import worker as pii_worker
    from atlas_assets.checks.pii.scan import engine_settings

    return pii_worker.start(engine_settings(spec.pii_scan, spec.tenant_config.privacy.recognizers))


def run_pii_checks(spec: ObjectSpec, data: pa.Table) -> list[dg.AssetCheckResult]:
    """Scan `data` (the rows one run wrote, lineage columns included and skipped) for undeclared PII."""
    scan = spec.pii_scan
    if scan.on_undeclared == "ignore":
        return []
    from atlas_assets.checks.pii.scan import scan_table  # loads numpy-side code only; Presidio loads lazily

    declared = set(spec.config.pii)
    result = scan_table(
        data,
        scan,
        skip_columns=declared,
        recognizers=spec.tenant_config.privacy.recognizers,
        seed=spec.label,
    )
    undeclared = result.detected(scan.min_hit_rate)
    severity = dg.AssetCheckSeverity.ERROR if scan.on_undeclared == "fail" else dg.AssetCheckSeverity.WARN
    metadata: dict[str, Any] = {
        "undeclared_pii": dg.MetadataValue.json(undeclared),
        "columns_scanned": dg.MetadataValue.json([c.column for c in result.columns]),
        "declared_pii_columns": dg.MetadataValue.json(sorted(declared)),
        "sampled_rows": dg.MetadataValue.int(result.sampled_rows),
        "entities": dg.MetadataValue.text(", ".join(result.entities)),
        "min_hit_rate": dg.MetadataValue.float(scan.min_hit_rate),
        "scan_seconds": dg.MetadataValue.float(round(result.seconds, 3)),
        # Columns whose values needed the NER model: what a scan's cost mostly depends on.
        "ner_columns": dg.MetadataValue.json(list(result.ner_columns)),
    }
    if undeclared:
        metadata["findings"] = dg.MetadataValue.md(_findings_table(undeclared))
    if result.unknown_entities:
        metadata["unknown_entities"] = dg.MetadataValue.text(", ".join(result.unknown_entities))
    return [
        dg.AssetCheckResult(
            check_name=PII_CHECK,
            asset_key=spec.asset_key,
            passed=not undeclared,
            severity=severity,
            metadata=metadata,
            description=_description(spec, undeclared),
        )
    ]


def _findings_table(undeclared: dict[str, dict[str, float]]) -> str:
    lines = ["| column | entity | hit rate |", "| --- | --- | --- |"]
    for column, rates in undeclared.items():
        lines += [f"| {column} | {entity} | {rate:.1%} |" for entity, rate in rates.items()]
    return "\n".join(lines)


def _description(spec: ObjectSpec, undeclared: dict[str, dict[str, float]]) -> str:
    if not undeclared:
        return "No undeclared PII found in the sample."
    columns = ", ".join(f"{c} ({'/'.join(rates)})" for c, rates in undeclared.items())
    return (
        f"Undeclared PII in {columns}. Declare the columns under {spec.path}.pii (with a masking policy), "
        "or list false positives under pii_scan.exclude_columns."
    )
