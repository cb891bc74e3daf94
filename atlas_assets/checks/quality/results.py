"""Turning Soda's outcome for one check into a Dagster `AssetCheckResult` with useful metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dagster as dg

from atlas_assets.checks.quality.contract import QualityCheck
from atlas_assets.checks.quality.soda import SodaCheckOutcome

if TYPE_CHECKING:
    from atlas_assets.checks.quality.config import Severity

# Soda's diagnostic names for "rows that fail this check", per check kind.
_FAILING_COUNT = {"missing": "missing_count", "invalid": "invalid_count", "duplicate": "duplicate_count"}
_FAILING_PERCENT = {
    "missing": "missing_percent",
    "invalid": "invalid_percent",
    "duplicate": "duplicate_percent",
}
_SEVERITY = {"warn": dg.AssetCheckSeverity.WARN, "error": dg.AssetCheckSeverity.ERROR}


def check_result(
    asset_key: dg.AssetKey,
    check: QualityCheck,
    severity: Severity,
    outcome: SodaCheckOutcome | None,
    context: dict[str, Any],
    absent_columns: list[str],
    errors: tuple[str, ...],
) -> dg.AssetCheckResult:
    """The result of one check; `outcome` is None when Soda produced none for it."""
    metadata: dict[str, Any] = {"check_origin": check.origin, **context}
    if absent_columns:
        metadata["absent_columns"] = absent_columns
        return _result(
            asset_key,
            check,
            False,
            severity,
            metadata,
            f"not run: column(s) {', '.join(absent_columns)} not in the data",
        )
    if outcome is None:
        metadata["soda_errors"] = list(errors)[:20]
        reason = errors[0] if errors else "Soda returned no result for this check"
        return _result(asset_key, check, False, severity, metadata, f"not evaluated: {reason}")

    metadata["soda_outcome"] = outcome.outcome
    if outcome.threshold:
        metadata["threshold"] = outcome.threshold
    if outcome.value is not None:
        metadata["measured_value"] = outcome.value
    metadata.update(_failing(check.kind, outcome))
    metadata.update({k: v for k, v in outcome.diagnostics.items() if v is not None})
    metadata.update(outcome.details)
    if outcome.outcome == "NOT_EVALUATED" and errors:
        metadata["soda_errors"] = list(errors)[:20]

    passed = outcome.outcome == "PASSED"
    # A contract's own `level: warn` threshold is a warning whatever the object's severity.
    effective = "warn" if outcome.outcome == "WARN" else severity
    return _result(asset_key, check, passed, effective, metadata, _describe(check, outcome, metadata))


def quiet_window_result(
    asset_key: dg.AssetKey, check: QualityCheck, severity: Severity, context: dict[str, Any]
) -> dg.AssetCheckResult:
    """A pass for a check that judges only windows holding rows (`QualityCheck.quiet_passes`)."""
    metadata: dict[str, Any] = {"check_origin": check.origin, **context, "quiet_window": True}
    return _result(
        asset_key,
        check,
        True,
        severity,
        metadata,
        "passed — no row changed in this window (runs of this write mode write only changes, so a "
        "quiet window is not stale)",
    )


def _failing(kind: str, outcome: SodaCheckOutcome) -> dict[str, Any]:
    """`failing_rows` and `failing_percent`, the same two keys for every row-level check."""
    count = outcome.diagnostics.get(_FAILING_COUNT.get(kind, ""))
    if count is None:
        return {}
    percent = outcome.diagnostics.get(_FAILING_PERCENT[kind])
    tested = outcome.diagnostics.get("check_rows_tested")
    if percent is None and tested:
        percent = 100.0 * count / tested
    return {"failing_rows": int(count), "failing_percent": float(percent or 0.0)}


def _describe(check: QualityCheck, outcome: SodaCheckOutcome, metadata: dict[str, Any]) -> str:
    verdict = {"PASSED": "passed", "FAILED": "failed", "WARN": "warned"}.get(outcome.outcome, "not evaluated")
    if "failing_rows" in metadata:
        tested = metadata.get("check_rows_tested")
        of = f" of {tested}" if tested is not None else ""
        share = f"{metadata['failing_rows']}{of} rows ({metadata['failing_percent']:.2f}%)"
        return f"{verdict}: {share} fail — {check.description}"
    if check.kind == "row_count" and outcome.value is not None:
        return f"{verdict}: {outcome.value} rows — {check.description}"
    if check.kind == "schema" and (metadata.get("missing_columns") or metadata.get("unexpected_columns")):
        missing = ", ".join(metadata.get("missing_columns", [])) or "none"
        extra = ", ".join(metadata.get("unexpected_columns", [])) or "none"
        return f"{verdict}: missing columns: {missing}; unexpected columns: {extra}"
    return f"{verdict} — {check.description}"


def _result(
    asset_key: dg.AssetKey,
    check: QualityCheck,
    passed: bool,
    severity: Severity,
    metadata: dict[str, Any],
    description: str,
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=passed,
        asset_key=asset_key,
        check_name=check.name,
        severity=_SEVERITY[severity],
        metadata=metadata,
        description=description,
    )
