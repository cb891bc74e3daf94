"""Write modes other than partition overwrite: upsert, append, replace, snapshot."""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc

from atlas_assets_tests.harness import START, Shop, platform, shop_source


def _customers(shop: Shop, count: int, updated: dt.datetime) -> None:
    shop.insert(
        shop.customers, [{"id": i, "email": f"c{i}@shop.test", "updated_at": updated} for i in range(count)]
    )


def test_upsert_merges_rows_updated_in_the_window_on_the_primary_key(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    _customers(shop, 10, START + dt.timedelta(hours=1))
    atlas = platform(
        tmp_path, shop_source(shop, "customers: {cursor: updated_at, primary_key: [id], write: upsert}")
    )
    atlas.materialize("demo/shop/customers", partition="2026-01-01")
    shop.execute(
        "UPDATE customers SET email = 'new' || id || '@shop.test', "
        "updated_at = '2026-01-02 08:00:00.000000' WHERE id < 3"
    )

    result = atlas.materialize("demo/shop/customers", partition="2026-01-02")

    rows = {r["id"]: r["email"] for r in atlas.table("shop__customers").to_pylist()}
    assert len(rows) == 10
    assert [rows[i] for i in range(3)] == ["new0@shop.test", "new1@shop.test", "new2@shop.test"]
    assert rows[3] == "c3@shop.test"
    assert (
        result.asset_materializations_for_node("demo__shop__customers")[0]
        .metadata["atlas/rows_replaced"]
        .value
        == 3
    )


def test_rerunning_an_upsert_partition_does_not_duplicate_keys(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    _customers(shop, 10, START + dt.timedelta(hours=1))
    atlas = platform(
        tmp_path, shop_source(shop, "customers: {cursor: updated_at, primary_key: [id], write: upsert}")
    )

    for _ in range(3):
        atlas.materialize("demo/shop/customers", partition="2026-01-01")

    ids = atlas.table("shop__customers").column("id").to_pylist()
    assert sorted(ids) == list(range(10))


def test_append_adds_only_rows_after_the_committed_high_water_mark(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=1, per_day=10)
    atlas = platform(tmp_path, shop_source(shop, "orders: {cursor: id, write: append}"))
    atlas.materialize("demo/shop/orders")
    shop.add_orders(days=1, per_day=5, first_id=100)

    result = atlas.materialize("demo/shop/orders")
    atlas.materialize("demo/shop/orders")

    assert sorted(atlas.table("shop__orders").column("id").to_pylist()) == [*range(10), *range(100, 105)]
    metadata = result.asset_materializations_for_node("demo__shop__orders")[0].metadata
    assert metadata["atlas/high_water_mark"].value == "104"
    assert metadata["dagster/row_count"].value == 5


def test_the_high_water_mark_is_a_table_property_committed_with_the_data(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=1, per_day=3)
    atlas = platform(tmp_path, shop_source(shop, "orders: {cursor: id, write: append}"))

    atlas.materialize("demo/shop/orders")

    table = atlas.catalog.load_table(("demo", "shop__orders"))
    assert table.properties["atlas.high-water-mark"] == '{"type": "int", "value": 2}'
    assert len(table.history()) == 1


def test_replace_swaps_the_whole_table_atomically(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=2, per_day=4)
    atlas = platform(tmp_path, shop_source(shop, "orders: {write: replace}"))
    atlas.materialize("demo/shop/orders")
    shop.execute("DELETE FROM orders WHERE id >= 2")

    atlas.materialize("demo/shop/orders")

    assert sorted(atlas.table("shop__orders").column("id").to_pylist()) == [0, 1]


def test_snapshot_keeps_one_full_copy_per_partition_key(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=1, per_day=4)
    atlas = platform(tmp_path, shop_source(shop, "orders: {write: snapshot}"))

    atlas.materialize("demo/shop/orders", partition="2026-01-01")
    shop.add_orders(days=1, per_day=2, first_id=100)
    atlas.materialize("demo/shop/orders", partition="2026-01-02")
    atlas.materialize("demo/shop/orders", partition="2026-01-02")

    rows = atlas.table("shop__orders")
    per_key = pc.value_counts(rows.column("_atlas_partition")).to_pylist()
    assert {item["values"]: item["counts"] for item in per_key} == {"2026-01-01": 4, "2026-01-02": 6}
