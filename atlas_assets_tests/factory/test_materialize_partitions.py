"""Partitioned ingestion: a partition's rows land in Iceberg, idempotently, in one commit per run."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from atlas_assets_tests.harness import Shop, platform, shop_source

ORDERS = "orders: {cursor: created_at, primary_key: [id]}"


@pytest.fixture
def shop(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=5, per_day=24)
    return shop


def test_a_partition_writes_exactly_the_rows_of_its_day(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    result = atlas.materialize("demo/shop/orders", partition="2026-01-02")

    rows = atlas.table("shop__orders")
    assert rows.num_rows == 24
    assert sorted(rows.column("id").to_pylist()) == list(range(24, 48))
    materialization = result.asset_materializations_for_node("demo__shop__orders")[0]
    assert materialization.metadata["dagster/row_count"].value == 24
    assert materialization.metadata["dagster/table_name"].value == "demo.shop__orders"


def test_every_row_carries_lineage_columns(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    result = atlas.materialize("demo/shop/orders", partition="2026-01-02")

    rows = atlas.table("shop__orders")
    assert set(rows.column("_atlas_tenant").to_pylist()) == {"demo"}
    assert set(rows.column("_atlas_source").to_pylist()) == {"shop"}
    assert set(rows.column("_atlas_run_id").to_pylist()) == {result.run_id}
    assert rows.column("_atlas_extracted_at").null_count == 0


def test_rerunning_a_partition_three_times_leaves_the_same_rows(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, ORDERS))
    atlas.materialize("demo/shop/orders", partition="2026-01-01")

    for _ in range(3):
        atlas.materialize("demo/shop/orders", partition="2026-01-02")

    rows = atlas.table("shop__orders")
    assert rows.num_rows == 48
    assert pc.count_distinct(rows.column("id")).as_py() == 48


def test_a_rerun_reflects_rows_deleted_at_the_source(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, ORDERS))
    atlas.materialize("demo/shop/orders", partition="2026-01-02")

    shop.execute("DELETE FROM orders WHERE id % 2 = 0")
    atlas.materialize("demo/shop/orders", partition="2026-01-02")

    assert sorted(atlas.table("shop__orders").column("id").to_pylist()) == list(range(25, 48, 2))


def test_a_backfill_range_is_one_run_and_one_commit(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    result = atlas.materialize("demo/shop/orders", partition_range=("2026-01-01", "2026-01-05"))

    assert result.success
    assert atlas.table("shop__orders").num_rows == 5 * 24
    # Creating the table and adding its data is a single atomic commit.
    assert len(atlas.snapshots("shop__orders")) == 1
    materialized = {m.partition for m in result.asset_materializations_for_node("demo__shop__orders")}
    assert materialized == {f"2026-01-0{d}" for d in range(1, 6)}


def test_a_single_partition_rerun_inside_a_backfilled_range_changes_only_that_day(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, ORDERS))
    atlas.materialize("demo/shop/orders", partition_range=("2026-01-01", "2026-01-05"))
    shop.execute("UPDATE orders SET amount_cents = 0 WHERE id BETWEEN 48 AND 71")

    atlas.materialize("demo/shop/orders", partition="2026-01-03")

    rows = atlas.table("shop__orders")
    assert rows.num_rows == 5 * 24
    zeroed = rows.filter(pc.equal(rows.column("amount_cents"), 0)).column("id").to_pylist()
    assert sorted(zeroed) == list(range(48, 72))


def test_lookback_rewrites_late_rows_of_the_previous_day(tmp_path, shop):
    objects = "orders: {cursor: created_at, primary_key: [id], lookback: 6h}"
    atlas = platform(tmp_path, shop_source(shop, objects))
    atlas.materialize("demo/shop/orders", partition="2026-01-01")
    # A late row for 2026-01-01 23:00 arrives after that day ran.
    shop.execute("INSERT INTO orders VALUES (1000, 1, '2026-01-01 23:00:00.000000')")

    atlas.materialize("demo/shop/orders", partition="2026-01-02")

    ids = atlas.table("shop__orders").column("id").to_pylist()
    assert 1000 in ids
    assert len(ids) == len(set(ids)) == 49


def test_a_sqlite_timestamp_stored_without_fraction_belongs_to_its_own_day(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.execute(
        "INSERT INTO orders VALUES (1, 10, '2026-01-02 00:00:00'), (2, 20, '2026-01-01 23:59:59'), "
        "(3, 30, '2026-01-02 00:00:00.000000')"
    )
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    atlas.materialize("demo/shop/orders", partition="2026-01-02")

    assert sorted(atlas.table("shop__orders").column("id").to_pylist()) == [1, 3]
    assert not atlas.catalog.table_exists(("demo", "shop__orders__quarantine"))
