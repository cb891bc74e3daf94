"""Downstream assets read an ingested partition back from Iceberg as Arrow."""

from __future__ import annotations

import dagster as dg
import pyarrow as pa

from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets.factory.partitions import shared_partitions_def
from atlas_assets_tests.harness import Shop, shop_source, write_runner


def test_a_downstream_asset_receives_exactly_its_partition_as_arrow(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=3, per_day=6)
    config, specs = load_runner_config(
        write_runner(tmp_path, shop_source(shop, "orders: {cursor: created_at, primary_key: [id]}"))
    )
    base = build_definitions(config, specs)
    seen: dict[str, pa.Table] = {}

    @dg.asset(
        key=["demo", "reports", "daily_orders"],
        deps=[],
        ins={"orders": dg.AssetIn(key=["demo", "shop", "orders"])},
        partitions_def=shared_partitions_def(specs[0].partitions),
        io_manager_key="iceberg_io_manager",
    )
    def daily_orders(orders: pa.Table) -> pa.Table:
        seen["orders"] = orders
        return pa.table(
            {"orders": [orders.num_rows], "revenue_cents": [sum(orders.column("amount_cents").to_pylist())]}
        )

    defs = dg.Definitions.merge(base, dg.Definitions(assets=[daily_orders]))
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(partition_key="2026-01-02", instance=dg.DagsterInstance.ephemeral())

    assert result.success
    assert sorted(seen["orders"].column("id").to_pylist()) == list(range(6, 12))
    report = (
        base.resources["iceberg_catalog"]
        .catalog.load_table(("demo", "reports__daily_orders"))
        .scan()
        .to_arrow()
    )
    assert report.column("orders").to_pylist() == [6]
    assert report.column("_atlas_partition").to_pylist() == ["2026-01-02"]
