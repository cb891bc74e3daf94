"""Quality checks run by Soda (soda-duckdb) over the Arrow rows a run wrote.

A dirty partition makes each generated check fail with the right failing counts and
percentages; a clean one passes every check.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import dagster as dg
import pyarrow as pa
import pytest

from atlas_assets.checks.quality.check import quality_check_specs, run_quality_checks
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.connectors.contract import TimeWindow

UTC = dt.UTC
WINDOW = TimeWindow(dt.datetime(2026, 3, 10, tzinfo=UTC), dt.datetime(2026, 3, 11, tzinfo=UTC))
IN_WINDOW = dt.datetime(2026, 3, 10, 12, tzinfo=UTC)
STALE = dt.datetime(2026, 3, 7, tzinfo=UTC)

CUSTOMERS = """
    customers:
      cursor: updated_at
      primary_key: [id]
      quality:
        required: [email]
        columns:
          email: {format: email}
          status: {allowed_values: [active, churned]}
          score: {min: 0, max: 100}
        row_count: {min: 10}
"""


def spec_for(objects_yaml: str) -> ObjectSpec:
    """The one object declared by `objects_yaml` (the body of a source's `objects:`)."""
    text = textwrap.dedent(
        """
        defaults:
          partitions: {granularity: daily, start: "2026-01-01"}
        tenants:
          demo:
            sources:
              shop:
                kind: sql
                url: "sqlite:///shop.db"
                objects:
        """
    ) + textwrap.indent(textwrap.dedent(objects_yaml), " " * 10)
    _, specs = parse_runner_config(text, "runner.yaml", {})
    return specs[0]


def lineage(n: int) -> dict[str, pa.Array]:
    """The `_atlas_*` columns every written row carries."""
    return {
        "_atlas_tenant": pa.array(["demo"] * n),
        "_atlas_run_id": pa.array(["run-1"] * n),
    }


def clean_rows(n: int = 12) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(range(1, n + 1), pa.int64()),
            "email": [f"user{i}@example.com" for i in range(n)],
            "status": ["active" if i % 2 else "churned" for i in range(n)],
            "score": pa.array([float(i * 5) for i in range(n)]),
            "updated_at": pa.array([IN_WINDOW] * n, pa.timestamp("us", tz="UTC")),
            **lineage(n),
        }
    )


def dirty_rows() -> pa.Table:
    """8 rows: 1 null id, 1 duplicated id, 1 null and 3 malformed emails, 2 bad statuses,
    1 score out of range, and every row older than the window."""
    return pa.table(
        {
            "id": pa.array([1, 2, 2, 3, None, 5, 6, 7], pa.int64()),
            "email": ["a@x.io", "bad", "c@x.io", None, "no-at.example.com", "e@x.io", "f@x", "g@x.io"],
            "status": ["active", "active", "gone", "churned", "active", None, "unknown", "active"],
            "score": pa.array([1.0, 2.0, 3.0, 4.0, 150.0, 6.0, 7.0, None]),
            "updated_at": pa.array([STALE] * 8, pa.timestamp("us", tz="UTC")),
            **lineage(8),
        }
    )


def by_name(results: list[dg.AssetCheckResult]) -> dict[str, dg.AssetCheckResult]:
    return {result.check_name: result for result in results}


def meta(result: dg.AssetCheckResult, key: str) -> object:
    return result.metadata[key].value


@pytest.fixture(scope="module")
def customers() -> ObjectSpec:
    return spec_for(CUSTOMERS)


@pytest.fixture(scope="module")
def dirty(customers: ObjectSpec) -> dict[str, dg.AssetCheckResult]:
    return by_name(run_quality_checks(customers, dirty_rows(), WINDOW))


def test_checks_are_generated_from_runner_yaml(customers: ObjectSpec) -> None:
    names = [check.name for check in quality_check_specs(customers)]

    assert names == [
        "missing_id",
        "duplicate_primary_key",
        "missing_email",
        "invalid_email",
        "invalid_status",
        "invalid_score",
        "freshness_updated_at",
        "row_count",
        "schema",
    ]


def test_every_declared_check_gets_exactly_one_result(customers: ObjectSpec) -> None:
    results = run_quality_checks(customers, clean_rows(), WINDOW)

    assert [r.check_name for r in results] == [s.name for s in quality_check_specs(customers)]
    assert {r.asset_key for r in results} == {dg.AssetKey(["demo", "shop", "customers"])}


def test_clean_partition_passes_every_check(customers: ObjectSpec) -> None:
    results = run_quality_checks(customers, clean_rows(), WINDOW)

    failed = {r.check_name: r.description for r in results if not r.passed}
    assert failed == {}


def test_null_primary_key_fails_missing_check_with_count_and_percent(
    dirty: dict[str, dg.AssetCheckResult],
) -> None:
    result = dirty["missing_id"]

    assert not result.passed
    assert meta(result, "failing_rows") == 1
    assert meta(result, "failing_percent") == pytest.approx(12.5)


def test_duplicate_ids_fail_primary_key_check_with_count_and_percent(
    dirty: dict[str, dg.AssetCheckResult],
) -> None:
    result = dirty["duplicate_primary_key"]

    assert not result.passed
    assert meta(result, "failing_rows") == 1
    assert meta(result, "failing_percent") == pytest.approx(12.5)


def test_null_required_column_fails_missing_check(dirty: dict[str, dg.AssetCheckResult]) -> None:
    result = dirty["missing_email"]

    assert not result.passed
    assert meta(result, "failing_rows") == 1


def test_bad_emails_fail_format_check_with_count_and_percent(dirty: dict[str, dg.AssetCheckResult]) -> None:
    result = dirty["invalid_email"]

    assert not result.passed
    assert meta(result, "failing_rows") == 3
    assert meta(result, "failing_percent") == pytest.approx(37.5)


def test_values_outside_allowed_set_fail_invalid_check(dirty: dict[str, dg.AssetCheckResult]) -> None:
    result = dirty["invalid_status"]

    assert not result.passed
    assert meta(result, "failing_rows") == 2
    assert meta(result, "failing_percent") == pytest.approx(25.0)


def test_numbers_outside_range_fail_invalid_check(dirty: dict[str, dg.AssetCheckResult]) -> None:
    result = dirty["invalid_score"]

    assert not result.passed
    assert meta(result, "failing_rows") == 1


def test_data_older_than_the_window_fails_freshness(dirty: dict[str, dg.AssetCheckResult]) -> None:
    result = dirty["freshness_updated_at"]

    assert not result.passed
    # Newest row is 4 days before the window's end; the window is 1 day (1440 minutes).
    assert meta(result, "freshness_in_minutes") == pytest.approx(4 * 1440)
    assert meta(result, "window_end") == WINDOW.end.isoformat()


def test_newest_row_inside_the_window_passes_freshness(customers: ObjectSpec) -> None:
    rows = clean_rows().set_column(
        4, "updated_at", pa.array([WINDOW.start] * 12, pa.timestamp("us", tz="UTC"))
    )

    result = by_name(run_quality_checks(customers, rows, WINDOW))["freshness_updated_at"]

    assert result.passed


def test_too_few_rows_fail_row_count(dirty: dict[str, dg.AssetCheckResult]) -> None:
    result = dirty["row_count"]

    assert not result.passed
    assert meta(result, "measured_value") == 8


def test_failed_checks_carry_the_configured_severity(dirty: dict[str, dg.AssetCheckResult]) -> None:
    assert {r.severity for r in dirty.values() if not r.passed} == {dg.AssetCheckSeverity.ERROR}


def test_per_check_policy_overrides_severity_and_blocking() -> None:
    spec = spec_for(
        """
        orders:
          cursor: created_at
          primary_key: id
          quality:
            blocking: true
            checks:
              freshness_created_at: {severity: warn, blocking: false}
        """
    )
    stale = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "created_at": pa.array([STALE, STALE], pa.timestamp("us", tz="UTC")),
        }
    )

    blocking = {s.name: s.blocking for s in quality_check_specs(spec)}
    results = by_name(run_quality_checks(spec, stale, WINDOW))

    assert blocking == {
        "missing_id": True,
        "duplicate_primary_key": True,
        "freshness_created_at": False,
        "row_count": True,
        "schema": True,
    }
    assert results["freshness_created_at"].severity == dg.AssetCheckSeverity.WARN
    assert not results["freshness_created_at"].passed


def test_absent_declared_column_fails_schema_and_skips_its_checks(customers: ObjectSpec) -> None:
    rows = clean_rows().drop_columns(["email"])

    results = by_name(run_quality_checks(customers, rows, WINDOW))

    assert not results["schema"].passed
    assert meta(results["schema"], "missing_columns") == ["email"]
    assert not results["invalid_email"].passed
    assert meta(results["invalid_email"], "absent_columns") == ["email"]
    # The other checks still ran: one absent column must not blank the whole contract.
    assert results["missing_id"].passed
    assert results["row_count"].passed


def test_lineage_columns_do_not_count_as_unexpected_columns() -> None:
    spec = spec_for(
        """
        events:
          cursor: at
          columns: [id, at]
        """
    )
    rows = pa.table(
        {"id": [1, 2], "at": pa.array([IN_WINDOW, IN_WINDOW], pa.timestamp("us", tz="UTC")), **lineage(2)}
    )

    result = by_name(run_quality_checks(spec, rows, WINDOW))["schema"]

    assert result.passed


def test_unexpected_column_fails_exact_schema() -> None:
    spec = spec_for(
        """
        events:
          cursor: at
          columns: [id, at]
        """
    )
    rows = pa.table({"id": [1], "at": pa.array([IN_WINDOW], pa.timestamp("us", tz="UTC")), "secret": ["x"]})

    result = by_name(run_quality_checks(spec, rows, WINDOW))["schema"]

    assert not result.passed
    assert meta(result, "unexpected_columns") == ["secret"]


def test_uuid_format_counts_malformed_ids() -> None:
    spec = spec_for(
        """
        devices:
          quality:
            columns:
              device_id: {format: uuid}
            row_count: null
        """
    )
    rows = pa.table(
        {
            "device_id": [
                "0f8fad5b-d9cb-469f-a165-70867728950e",
                "not-a-uuid",
                "0F8FAD5B-D9CB-469F-A165-70867728950E",
                "0f8fad5b",
            ]
        }
    )

    result = by_name(run_quality_checks(spec, rows, None))["invalid_device_id"]

    assert meta(result, "failing_rows") == 2
    assert meta(result, "failing_percent") == pytest.approx(50.0)


def test_disabled_quality_declares_and_runs_nothing() -> None:
    spec = spec_for(
        """
        orders:
          cursor: created_at
          primary_key: id
          quality: {enabled: false}
        """
    )

    assert quality_check_specs(spec) == []
    assert run_quality_checks(spec, clean_rows(), WINDOW) == []
