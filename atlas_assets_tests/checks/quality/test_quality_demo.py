"""The demo's deliberately dirty leads.csv, ingested through runner.yaml and the asset factory:
its quality checks fail with exactly the defects the demo generator planted."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from atlas_assets.demo.generate import LEAD_DEFECTS, generate_demo
from atlas_assets_tests.harness import platform

SOURCES = ("website", "trade_show", "referral", "cold_call", "newsletter")


@pytest.fixture(scope="module")
def evaluations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dg.AssetCheckEvaluation]:
    root: Path = tmp_path_factory.mktemp("demo")
    generate_demo(root / "demo")
    atlas = platform(
        root,
        f"""
        tenants:
          demo:
            sources:
              files:
                kind: csv
                path: {root}/demo/csv
                objects:
                  leads:
                    glob: leads.csv
                    primary_key: [lead_id]
                    write: replace
                    quality:
                      required: [email]
                      columns:
                        email: {{format: email}}
                        source: {{allowed_values: [{", ".join(SOURCES)}]}}
        """,
    )
    result = atlas.materialize("demo/files/leads", raise_on_error=False)
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_repeated_lead_ids_fail_the_primary_key_check(
    evaluations: dict[str, dg.AssetCheckEvaluation],
) -> None:
    check = evaluations["duplicate_primary_key"]

    assert not check.passed
    assert check.metadata["failing_rows"].value == LEAD_DEFECTS.duplicate_ids


def test_malformed_emails_fail_the_email_check(evaluations: dict[str, dg.AssetCheckEvaluation]) -> None:
    check = evaluations["invalid_email"]
    written = check.metadata["rows_written"].value

    assert not check.passed
    assert check.metadata["failing_rows"].value == LEAD_DEFECTS.invalid_emails
    assert check.metadata["failing_percent"].value == pytest.approx(
        100 * LEAD_DEFECTS.invalid_emails / written
    )


def test_checks_the_demo_data_meets_pass(evaluations: dict[str, dg.AssetCheckEvaluation]) -> None:
    passing = {name for name, check in evaluations.items() if check.passed}

    assert {"missing_lead_id", "missing_email", "invalid_source", "row_count", "schema"} <= passing
