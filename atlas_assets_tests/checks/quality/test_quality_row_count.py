"""The row_count check through real materializations: a quiet run of an incremental object is not
a failure, an empty window of a partition_overwrite object is, and runner.yaml can say otherwise."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from atlas_assets_tests.harness import Shop, platform, shop_source


def checks_of(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def quiet_append_run(tmp_path: Path, orders: str) -> dg.ExecuteInProcessResult:
    """A second append run after which no new row has arrived."""
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=1, per_day=3)
    atlas = platform(tmp_path, shop_source(shop, orders))
    atlas.materialize("demo/shop/orders")
    return atlas.materialize("demo/shop/orders", raise_on_error=False)


def test_an_append_run_with_no_new_rows_passes_its_checks(tmp_path: Path) -> None:
    result = quiet_append_run(tmp_path, "orders: {cursor: id, write: append}")

    assert result.success
    checks = checks_of(result)
    assert "row_count" not in checks
    assert checks
    assert all(checks.values()), checks


def test_an_append_object_can_require_rows_per_run(tmp_path: Path) -> None:
    result = quiet_append_run(tmp_path, "orders: {cursor: id, write: append, quality: {row_count: {min: 1}}}")

    assert checks_of(result)["row_count"] is False


def test_an_empty_window_fails_the_row_count_of_a_partition_overwrite_object(tmp_path: Path) -> None:
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=1, per_day=3)
    atlas = platform(tmp_path, shop_source(shop, "orders: {cursor: created_at, primary_key: [id]}"))
    atlas.materialize("demo/shop/orders", partition="2026-01-01")

    result = atlas.materialize("demo/shop/orders", partition="2026-01-05", raise_on_error=False)

    assert checks_of(result)["row_count"] is False


def test_a_quiet_window_of_an_upsert_object_passes_freshness_as_it_passes_row_count(tmp_path: Path) -> None:
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=1, per_day=3)
    orders = "orders: {cursor: created_at, primary_key: [id], write: upsert}"
    atlas = platform(tmp_path, shop_source(shop, orders))
    atlas.materialize("demo/shop/orders", partition="2026-01-01")

    result = atlas.materialize("demo/shop/orders", partition="2026-01-05", raise_on_error=False)

    (freshness,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "freshness_created_at"]
    assert freshness.passed
    assert freshness.metadata["quiet_window"].value is True
    assert "row_count" not in checks_of(result)


def test_an_empty_window_fails_the_freshness_of_a_partition_overwrite_object(tmp_path: Path) -> None:
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=1, per_day=3)
    atlas = platform(tmp_path, shop_source(shop, "orders: {cursor: created_at, primary_key: [id]}"))
    atlas.materialize("demo/shop/orders", partition="2026-01-01")

    result = atlas.materialize("demo/shop/orders", partition="2026-01-05", raise_on_error=False)

    assert checks_of(result)["freshness_created_at"] is False
