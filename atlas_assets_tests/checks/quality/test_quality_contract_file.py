"""A hand-written Soda contract file per object: merged into the generated contract, and a file
that is missing or does not parse is a definitions-load error naming the file and the line."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest

from atlas_assets.checks.quality.check import quality_check_specs, run_quality_checks
from atlas_assets.config.errors import ConfigProblem, RunnerConfigError
from atlas_assets.config.loader import load_runner_config
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.connectors.contract import TimeWindow

UTC = dt.UTC
WINDOW = TimeWindow(dt.datetime(2026, 3, 10, tzinfo=UTC), dt.datetime(2026, 3, 11, tzinfo=UTC))
AT = dt.datetime(2026, 3, 10, 12, tzinfo=UTC)
CONTRACT_PATH = "contracts/orders.yml"


def write_runner(root: Path, contract_text: str | None, quality_extra: str = "") -> Path:
    """runner.yaml with one object `orders` whose contract file holds `contract_text`."""
    runner = root / "runner.yaml"
    runner.write_text(
        textwrap.dedent(
            f"""
            defaults:
              partitions: {{granularity: daily, start: "2026-01-01"}}
            tenants:
              demo:
                sources:
                  shop:
                    kind: sql
                    url: "sqlite:///shop.db"
                    objects:
                      orders:
                        cursor: created_at
                        primary_key: [id]
                        quality:
                          contract_file: {CONTRACT_PATH}
                          row_count: null
            """
        )
        + textwrap.indent(textwrap.dedent(quality_extra), " " * 14)
    )
    if contract_text is not None:
        (root / "contracts").mkdir(exist_ok=True)
        (root / CONTRACT_PATH).write_text(textwrap.dedent(contract_text).lstrip("\n"))
    return runner


def load(root: Path, contract_text: str | None, quality_extra: str = "") -> ObjectSpec:
    """The object's spec, loaded as definitions load it."""
    _, specs = load_runner_config(write_runner(root, contract_text, quality_extra), env={})
    return specs[0]


def load_problems(root: Path, contract_text: str | None, quality_extra: str = "") -> list[ConfigProblem]:
    """The problems loading the runner config reports."""
    with pytest.raises(RunnerConfigError) as caught:
        load_runner_config(write_runner(root, contract_text, quality_extra), env={})
    return caught.value.problems


def orders(ids: list[int | None], statuses: list[str | None]) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "status": statuses,
            "created_at": pa.array([AT] * len(ids), pa.timestamp("us", tz="UTC")),
        }
    )


def by_name(results: list[dg.AssetCheckResult]) -> dict[str, dg.AssetCheckResult]:
    return {result.check_name: result for result in results}


def test_contract_file_checks_are_declared_after_generated_ones(tmp_path: Path) -> None:
    spec = load(
        tmp_path,
        """
        columns:
          - name: status
            checks:
              - invalid:
                  valid_values: [paid, refunded]
        checks:
          - duplicate:
              columns: [status, created_at]
        """,
    )

    assert [s.name for s in quality_check_specs(spec)] == [
        "missing_id",
        "duplicate_primary_key",
        "freshness_created_at",
        "schema",
        "invalid_status",
        "duplicate_status_created_at",
    ]


def test_contract_file_check_runs_with_counts(tmp_path: Path) -> None:
    spec = load(
        tmp_path,
        """
        columns:
          - name: status
            checks:
              - invalid:
                  valid_values: [paid, refunded]
        """,
    )

    result = by_name(
        run_quality_checks(spec, orders([1, 2, 3, 4], ["paid", "lost", "refunded", "x"]), WINDOW)
    )

    assert not result["invalid_status"].passed
    assert result["invalid_status"].metadata["failing_rows"].value == 2
    assert result["invalid_status"].metadata["failing_percent"].value == pytest.approx(50.0)
    assert result["invalid_status"].metadata["check_origin"].value == "contract_file"


def test_contract_file_check_replaces_the_generated_one_of_the_same_slot(tmp_path: Path) -> None:
    # Tolerate up to 30% null ids instead of none.
    spec = load(
        tmp_path,
        """
        columns:
          - name: id
            checks:
              - missing:
                  threshold:
                    metric: percent
                    must_be_less_than: 30
        """,
    )

    names = [s.name for s in quality_check_specs(spec)]
    result = by_name(run_quality_checks(spec, orders([1, None, 3, 4], ["paid"] * 4), WINDOW))["missing_id"]

    assert names.count("missing_id") == 1
    assert result.passed
    assert result.metadata["failing_rows"].value == 1
    assert result.metadata["check_origin"].value == "contract_file"


def test_contract_warn_level_reports_warn_severity(tmp_path: Path) -> None:
    spec = load(
        tmp_path,
        """
        columns:
          - name: status
            checks:
              - missing:
                  threshold:
                    must_be_less_than: 3
                    additional:
                      level: warn
                      must_be_less_than: 1
        """,
    )

    result = by_name(run_quality_checks(spec, orders([1, 2, 3], ["paid", None, None]), WINDOW))[
        "missing_status"
    ]

    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN


def test_unparseable_contract_file_names_file_and_line(tmp_path: Path) -> None:
    problems = load_problems(
        tmp_path,
        """
        columns:
          - name: status
            checks:
              - invalid:
                  valid_values: [paid, refunded
        """,
    )

    assert len(problems) == 1
    assert problems[0].path == "tenants.demo.sources.shop.objects.orders.quality.contract_file"
    assert f"{tmp_path / CONTRACT_PATH}:6:" in problems[0].message
    assert "invalid YAML" in problems[0].message


def test_unknown_check_type_names_file_and_line(tmp_path: Path) -> None:
    problems = load_problems(
        tmp_path,
        """
        columns:
          - name: status
            checks:
              - not_a_check:
        """,
    )

    assert [p.message for p in problems] == [
        f"contract file {tmp_path / CONTRACT_PATH}:4: unknown check type 'not_a_check'; Soda knows: "
        "aggregate, duplicate, failed_rows, freshness, invalid, metric, missing, row_count, schema"
    ]


def test_value_soda_rejects_names_file_and_line(tmp_path: Path) -> None:
    problems = load_problems(
        tmp_path,
        """
        checks:
          - row_count:
              threshold:
                must_be_greater_than: lots
        """,
    )

    assert len(problems) == 1
    assert f"{tmp_path / CONTRACT_PATH}:4:" in problems[0].message
    assert "must_be_greater_than" in problems[0].message


def test_missing_contract_file_is_a_load_error(tmp_path: Path) -> None:
    problems = load_problems(tmp_path, None)

    assert len(problems) == 1
    assert str(tmp_path / CONTRACT_PATH) in problems[0].message
    assert "does not exist" in problems[0].message


def test_policy_for_a_check_that_does_not_exist_is_a_load_error(tmp_path: Path) -> None:
    problems = load_problems(tmp_path, "columns: []\n", "checks:\n  freshnes_created_at: {severity: warn}\n")

    assert [p.path for p in problems] == [
        "tenants.demo.sources.shop.objects.orders.quality.checks.freshnes_created_at"
    ]
