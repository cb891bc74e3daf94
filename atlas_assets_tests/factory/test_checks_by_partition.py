"""A range run (single-run backfill) reports every check of every partition on that partition's rows.

Dagster resolves what the UI shows per partition from the instance's check execution records:
after the run, each partition's latest execution of each check must be its own SUCCEEDED or
FAILED, current for that partition's materialization, and never left PLANNED (read "Skipped").
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from atlas_assets_tests.harness import DAY, START, Platform, Shop, platform, shop_source

DAYS = ["2026-01-01", "2026-01-02", "2026-01-03"]
PER_DAY = {"2026-01-01": 3, "2026-01-02": 5, "2026-01-03": 8}
ORDERS_KEY = dg.AssetKey(["demo", "shop", "orders"])
ORDERS = """
orders:
  cursor: created_at
  primary_key: [id]
  column_types: {amount_cents: int32}
  quality: {columns: {amount_cents: {min: 0}}}
"""


@pytest.fixture
def shop(tmp_path) -> Shop:
    shop = Shop(tmp_path / "shop.db")
    rows, next_id = [], 0
    for day, count in enumerate(PER_DAY.values()):
        for i in range(count):
            created_at = START + day * DAY + i * dt.timedelta(hours=1)
            rows.append({"id": next_id, "amount_cents": 100, "created_at": created_at})
            next_id += 1
    shop.insert(shop.orders, rows)
    return shop


def _latest_by_partition(atlas: Platform, check: str) -> dict[str | None, tuple[str, bool]]:
    """Each partition's latest execution of `check`: its status and whether it checked the latest data."""
    infos = atlas.instance.event_log_storage.get_asset_check_partition_info(
        [dg.AssetCheckKey(ORDERS_KEY, check)]
    )
    return {info.partition_key: (info.latest_execution_status.value, info.is_current) for info in infos}


def _evaluations(result: dg.ExecuteInProcessResult, check: str) -> dict[str | None, dg.AssetCheckEvaluation]:
    return {e.partition: e for e in result.get_asset_check_evaluations() if e.check_name == check}


def _check_names(atlas: Platform) -> list[str]:
    return [
        key.name for key in atlas.defs.resolve_asset_graph().asset_check_keys if key.asset_key == ORDERS_KEY
    ]


def test_no_check_of_any_day_is_left_skipped_after_a_three_day_range_run(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    atlas.materialize("demo/shop/orders", partition_range=(DAYS[0], DAYS[-1]))

    passed = AssetCheckExecutionRecordStatus.SUCCEEDED.value
    checks = _check_names(atlas)
    assert {"no_quarantined_rows", "invalid_amount_cents", "row_count"} <= set(checks)
    for check in checks:
        assert _latest_by_partition(atlas, check) == {day: (passed, True) for day in DAYS}, check


def test_each_days_quality_check_counts_only_that_days_rows(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    result = atlas.materialize("demo/shop/orders", partition_range=(DAYS[0], DAYS[-1]))

    row_count = _evaluations(result, "row_count")
    assert {day: e.metadata["rows_written"].value for day, e in row_count.items()} == PER_DAY
    assert {day: e.metadata["measured_value"].value for day, e in row_count.items()} == PER_DAY


def test_a_bad_value_on_one_day_fails_that_days_quality_check_only(tmp_path, shop):
    shop.execute("INSERT INTO orders VALUES (1000, -5, '2026-01-02 12:30:00')")
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    atlas.materialize("demo/shop/orders", partition_range=(DAYS[0], DAYS[-1]))

    assert _latest_by_partition(atlas, "invalid_amount_cents") == {
        "2026-01-01": ("SUCCEEDED", True),
        "2026-01-02": ("FAILED", True),
        "2026-01-03": ("SUCCEEDED", True),
    }


def test_a_quarantined_row_on_one_day_fails_that_days_quarantine_check_only(tmp_path, shop):
    # 2**40 does not fit the declared int32, so that row of 2026-01-03 is quarantined.
    shop.execute("INSERT INTO orders VALUES (1000, 1099511627776, '2026-01-03 12:30:00')")
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    result = atlas.materialize("demo/shop/orders", partition_range=(DAYS[0], DAYS[-1]))

    quarantine = _evaluations(result, "no_quarantined_rows")
    assert {day: e.passed for day, e in quarantine.items()} == {
        "2026-01-01": True,
        "2026-01-02": True,
        "2026-01-03": False,
    }
    assert quarantine["2026-01-03"].metadata["rows_quarantined"].value == 1


@pytest.mark.slow
def test_undeclared_pii_on_one_day_fails_that_days_pii_scan_only(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    # Only 2026-01-02's customers have an email address in the (undeclared) email column.
    rows = [
        {
            "id": day * 20 + i,
            "email": f"user{i}@example.com" if day == 1 else "unknown",
            "updated_at": START + day * DAY + i * dt.timedelta(hours=1),
        }
        for day in range(3)
        for i in range(20)
    ]
    shop.insert(shop.customers, rows)
    customers = "customers: {cursor: updated_at, primary_key: [id], write: upsert}"
    atlas = platform(tmp_path, shop_source(shop, customers))

    atlas.materialize("demo/shop/customers", partition_range=(DAYS[0], DAYS[-1]))

    infos = atlas.instance.event_log_storage.get_asset_check_partition_info(
        [dg.AssetCheckKey(dg.AssetKey(["demo", "shop", "customers"]), "pii_scan")]
    )
    assert {info.partition_key: info.latest_execution_status.value for info in infos} == {
        "2026-01-01": "SUCCEEDED",
        "2026-01-02": "FAILED",
        "2026-01-03": "SUCCEEDED",
    }
