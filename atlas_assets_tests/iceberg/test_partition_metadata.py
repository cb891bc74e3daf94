"""A single-run backfill records each partition's own figures on that partition's materialization."""

from __future__ import annotations

import datetime as dt

import pytest

from atlas_assets_tests.harness import DAY, START, Shop, platform, shop_source

ORDERS = "orders: {cursor: created_at, primary_key: [id]}"
PER_DAY = {"2026-01-01": 3, "2026-01-02": 5, "2026-01-03": 8}


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


def _materializations(result) -> dict[str, dict]:
    return {m.partition: m.metadata for m in result.asset_materializations_for_node("demo__shop__orders")}


def test_each_partition_of_a_range_run_records_its_own_row_count(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    result = atlas.materialize("demo/shop/orders", partition_range=("2026-01-01", "2026-01-03"))

    counts = {key: metadata["dagster/row_count"].value for key, metadata in _materializations(result).items()}
    assert counts == PER_DAY
    assert atlas.table("shop__orders").num_rows == sum(PER_DAY.values())


def test_each_partition_of_a_range_run_records_its_own_window(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    result = atlas.materialize("demo/shop/orders", partition_range=("2026-01-01", "2026-01-03"))

    window = _materializations(result)["2026-01-02"]["atlas/window"].value
    assert window == "[2026-01-02T00:00:00+00:00, 2026-01-03T00:00:00+00:00)"


def test_a_quarantined_row_counts_only_on_the_day_its_cursor_names(tmp_path, shop):
    # 2**40 does not fit the declared int32, so that row of 2026-01-02 is quarantined.
    shop.execute("INSERT INTO orders VALUES (1000, 1099511627776, '2026-01-02 12:30:00')")
    declared = "orders: {cursor: created_at, primary_key: [id], column_types: {amount_cents: int32}}"
    atlas = platform(tmp_path, shop_source(shop, declared))

    result = atlas.materialize("demo/shop/orders", partition_range=("2026-01-01", "2026-01-03"))

    quarantined = {k: m["atlas/rows_quarantined"].value for k, m in _materializations(result).items()}
    assert quarantined == {"2026-01-01": 0, "2026-01-02": 1, "2026-01-03": 0}


def test_the_run_wide_totals_are_recorded_under_run_names(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    result = atlas.materialize("demo/shop/orders", partition_range=("2026-01-01", "2026-01-03"))

    metadata = _materializations(result)["2026-01-03"]
    assert metadata["atlas/run_row_count"].value == sum(PER_DAY.values())
    assert metadata["atlas/run_partitions"].value == "2026-01-01...2026-01-03"
