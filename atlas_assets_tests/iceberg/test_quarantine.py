"""Rows that break the object's contract go to a quarantine table with the reason; none are lost."""

from __future__ import annotations

import json

from atlas_assets_tests.harness import Shop, platform, shop_source

ORDERS = "orders: {cursor: created_at, primary_key: [id]}"


def _shop_with_a_null_key(tmp_path) -> Shop:
    shop = Shop(tmp_path / "shop.db")
    shop.execute("CREATE TABLE loose_orders (id INTEGER, amount_cents INTEGER, created_at TIMESTAMP)")
    shop.execute(
        "INSERT INTO loose_orders VALUES (1, 10, '2026-01-02 01:00:00.000000'), "
        "(NULL, 20, '2026-01-02 02:00:00.000000'), (3, 30, '2026-01-02 03:00:00.000000')"
    )
    return shop


def test_a_row_with_a_null_primary_key_is_quarantined_with_its_reason(tmp_path):
    shop = _shop_with_a_null_key(tmp_path)
    atlas = platform(tmp_path, shop_source(shop, "loose_orders: {cursor: created_at, primary_key: [id]}"))

    atlas.materialize("demo/shop/loose_orders", partition="2026-01-02")

    assert sorted(atlas.table("shop__loose_orders").column("id").to_pylist()) == [1, 3]
    quarantined = atlas.table("shop__loose_orders__quarantine").to_pylist()
    assert len(quarantined) == 1
    assert quarantined[0]["_atlas_reason"] == "primary key column 'id' is null"
    assert json.loads(quarantined[0]["_atlas_row"])["amount_cents"] == 20
    assert quarantined[0]["_atlas_partition"] == "2026-01-02"


def test_quarantined_rows_fail_the_quarantine_check_with_counts(tmp_path):
    shop = _shop_with_a_null_key(tmp_path)
    atlas = platform(tmp_path, shop_source(shop, "loose_orders: {cursor: created_at, primary_key: [id]}"))

    result = atlas.materialize("demo/shop/loose_orders", partition="2026-01-02")

    evaluation = _quarantine_check(result)
    assert not evaluation.passed
    assert evaluation.metadata["rows_quarantined"].value == 1
    assert round(evaluation.metadata["quarantined_pct"].value, 1) == 33.3


def test_rerunning_a_partition_replaces_its_quarantined_rows_instead_of_adding(tmp_path):
    shop = _shop_with_a_null_key(tmp_path)
    atlas = platform(tmp_path, shop_source(shop, "loose_orders: {cursor: created_at, primary_key: [id]}"))

    for _ in range(3):
        atlas.materialize("demo/shop/loose_orders", partition="2026-01-02")

    assert atlas.table("shop__loose_orders__quarantine").num_rows == 1


def test_a_clean_rerun_empties_the_partitions_quarantine(tmp_path):
    shop = _shop_with_a_null_key(tmp_path)
    atlas = platform(tmp_path, shop_source(shop, "loose_orders: {cursor: created_at, primary_key: [id]}"))
    atlas.materialize("demo/shop/loose_orders", partition="2026-01-02")
    shop.execute("UPDATE loose_orders SET id = 2 WHERE id IS NULL")

    result = atlas.materialize("demo/shop/loose_orders", partition="2026-01-02")

    assert atlas.table("shop__loose_orders__quarantine").num_rows == 0
    assert atlas.table("shop__loose_orders").num_rows == 3
    assert _quarantine_check(result).passed


def test_a_clean_partition_passes_the_quarantine_check_and_creates_no_quarantine_table(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=1, per_day=5)
    atlas = platform(tmp_path, shop_source(shop, ORDERS))

    result = atlas.materialize("demo/shop/orders", partition="2026-01-01")

    assert _quarantine_check(result).passed
    assert not atlas.catalog.table_exists(("demo", "shop__orders__quarantine"))


def test_values_that_do_not_parse_as_the_declared_type_are_quarantined(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.execute("CREATE TABLE payments (id INTEGER, amount TEXT, created_at TIMESTAMP)")
    shop.execute(
        "INSERT INTO payments VALUES (1, '12.50', '2026-01-01 01:00:00.000000'), "
        "(2, 'twelve', '2026-01-01 02:00:00.000000')"
    )
    objects = "payments: {cursor: created_at, primary_key: [id], column_types: {amount: 'decimal(10,2)'}}"
    atlas = platform(tmp_path, shop_source(shop, objects))

    atlas.materialize("demo/shop/payments", partition="2026-01-01")

    rows = atlas.table("shop__payments")
    assert rows.schema.field("amount").type.precision == 10
    assert [str(v) for v in rows.column("amount").to_pylist()] == ["12.50"]
    [bad] = atlas.table("shop__payments__quarantine").to_pylist()
    assert "'amount'" in bad["_atlas_reason"]
    assert json.loads(bad["_atlas_row"])["amount"] == "twelve"


def _quarantine_check(result):
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == "no_quarantined_rows"]
    return evaluation
