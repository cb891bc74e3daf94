"""End to end through runner.yaml and the asset factory: a failed blocking quality check (ERROR)
stops the downstream asset; the same failure without blocking does not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from atlas_assets_tests.harness import Shop, platform, shop_source

CUSTOMERS_KEY = dg.AssetKey(["demo", "shop", "customers"])
REPORT_KEY = dg.AssetKey(["demo", "customer_report"])
PARTITION = "2026-01-02"


def customers_with_bad_emails(tmp_path: Path) -> Shop:
    shop = Shop(tmp_path / "shop.db")
    day = dt.datetime(2026, 1, 2, 8)
    emails = ["ada@example.com", "not-an-email", "cy@example.com", "dee(at)example.com"]
    shop.insert(
        shop.customers,
        [
            {"id": i, "email": email, "updated_at": day + dt.timedelta(hours=i)}
            for i, email in enumerate(emails)
        ],
    )
    return shop


def run_with_downstream(tmp_path: Path, blocking: bool) -> dg.ExecuteInProcessResult:
    """Materialize customers and a report built from them, in one run, for one partition."""
    shop = customers_with_bad_emails(tmp_path)
    atlas = platform(
        tmp_path,
        shop_source(
            shop,
            f"""
            customers:
              cursor: updated_at
              primary_key: [id]
              quality:
                columns:
                  email: {{format: email}}
                blocking: {str(blocking).lower()}
            """,
        ),
    )
    partitions_def = atlas.defs.resolve_assets_def(CUSTOMERS_KEY).partitions_def

    @dg.asset(key=REPORT_KEY, deps=[CUSTOMERS_KEY], partitions_def=partitions_def)
    def customer_report() -> None:
        """Stands for any asset that reads the customers table."""

    defs = dg.Definitions.merge(atlas.defs, dg.Definitions(assets=[customer_report]))
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(
        asset_selection=[CUSTOMERS_KEY, REPORT_KEY],
        partition_key=PARTITION,
        instance=atlas.instance,
        raise_on_error=False,
    )


def email_check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == "invalid_email"]
    return evaluation


def materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {event.asset_key for event in result.get_asset_materialization_events()}


def test_failed_blocking_check_stops_the_downstream_asset(tmp_path: Path) -> None:
    result = run_with_downstream(tmp_path, blocking=True)

    evaluation = email_check(result)
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["failing_rows"].value == 2
    assert evaluation.metadata["failing_percent"].value == pytest.approx(50.0)
    # The data is committed (the check judges what was written); only its use downstream stops.
    assert materialized(result) == {CUSTOMERS_KEY}
    assert not result.success


def test_failed_non_blocking_check_lets_the_downstream_asset_run(tmp_path: Path) -> None:
    result = run_with_downstream(tmp_path, blocking=False)

    assert not email_check(result).passed
    assert materialized(result) == {CUSTOMERS_KEY, REPORT_KEY}
