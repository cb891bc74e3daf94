"""`warehouse.quarantine_suffix` names the quarantine table everywhere: the writer and the check."""

from __future__ import annotations

import dagster as dg

from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets_tests.harness import Platform, Shop, shop_source, write_runner


def test_a_configured_quarantine_suffix_names_the_table_rows_go_to_and_the_check_reports(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.execute("CREATE TABLE loose_orders (id INTEGER, created_at TIMESTAMP)")
    shop.execute(
        "INSERT INTO loose_orders VALUES "
        "(1, '2026-01-02 01:00:00.000000'), (NULL, '2026-01-02 02:00:00.000000')"
    )
    path = write_runner(tmp_path, shop_source(shop, "loose_orders: {cursor: created_at, primary_key: [id]}"))
    path.write_text(path.read_text().replace("warehouse:\n", "warehouse:\n  quarantine_suffix: __rejected\n"))
    atlas = Platform(tmp_path, build_definitions(*load_runner_config(path)), dg.DagsterInstance.ephemeral())

    result = atlas.materialize("demo/shop/loose_orders", partition="2026-01-02")

    assert atlas.table("shop__loose_orders__rejected").num_rows == 1
    assert not atlas.catalog.table_exists(("demo", "shop__loose_orders__quarantine"))
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "no_quarantined_rows"]
    assert check.metadata["quarantine_table"].value == "demo.shop__loose_orders__rejected"
