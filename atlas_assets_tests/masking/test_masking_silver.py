"""Silver assets: a masked copy of a bronze object, partition by partition, through the Iceberg IO manager."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import dagster as dg
import pyarrow.compute as pc
import pytest

from atlas_assets.config.loader import load_runner_config
from atlas_assets.config.naming import silver_asset_key
from atlas_assets.factory.definitions import build_definitions
from atlas_assets.masking.silver import build_silver_assets
from atlas_assets_tests.harness import START, Platform, Shop, write_runner

SECRET = "demo-silver-secret-0123"


def customers_runner(shop: Shop, masking: str) -> str:
    return f"""
    tenants:
      demo:
        privacy: {{secret: "{SECRET}"}}
        pii_scan: {{masking: {masking}}}
        sources:
          shop:
            kind: sql
            url: "{shop.url}"
            objects:
              customers: {{cursor: updated_at, primary_key: [id], pii: {{email: hash}}}}
    """


@pytest.fixture
def shop(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    hour = dt.timedelta(hours=1)
    rows = [{"id": i, "email": f"user{i}@example.com", "updated_at": START + i * hour} for i in range(30)]
    shop.insert(shop.customers, rows)
    return shop


def silver_platform(tmp_path, shop: Shop, masking: str = "silver") -> Platform:
    config, specs = load_runner_config(write_runner(tmp_path, customers_runner(shop, masking)))
    defs = build_definitions(config, specs)  # silver assets are part of the code location
    return Platform(tmp_path, defs, dg.DagsterInstance.ephemeral())


def test_silver_holds_the_bronze_rows_of_the_partition_with_pii_hashed(tmp_path, shop):
    atlas = silver_platform(tmp_path, shop)

    atlas.materialize("demo/shop/customers", "demo/shop/customers_silver", partition="2026-01-01")

    bronze, silver = atlas.table("shop__customers"), atlas.table("shop__customers_silver")
    assert sorted(silver.column("id").to_pylist()) == list(range(24))
    assert sorted(bronze.column("id").to_pylist()) == list(range(24))
    by_id = dict(zip(silver.column("id").to_pylist(), silver.column("email").to_pylist(), strict=True))
    assert by_id[3] == hmac.new(SECRET.encode(), b"user3@example.com", hashlib.sha256).hexdigest()


def test_bronze_keeps_clear_values_when_masking_is_in_silver(tmp_path, shop):
    atlas = silver_platform(tmp_path, shop)

    atlas.materialize("demo/shop/customers", "demo/shop/customers_silver", partition="2026-01-01")

    assert pc.all(pc.ends_with(atlas.table("shop__customers").column("email"), "@example.com")).as_py()


def test_silver_shares_the_bronze_assets_partitions_definition_object(tmp_path, shop):
    config, specs = load_runner_config(write_runner(tmp_path, customers_runner(shop, "silver")))
    bronze = build_definitions(config, specs).resolve_assets_def(specs[0].asset_key)

    (silver,) = build_silver_assets(specs)

    assert silver.key == dg.AssetKey(["demo", "shop", "customers_silver"])
    assert silver.key == silver_asset_key(specs[0].asset_key)
    assert silver.partitions_def is bronze.partitions_def


def test_no_silver_asset_when_masking_happens_on_write(tmp_path, shop):
    _, specs = load_runner_config(write_runner(tmp_path, customers_runner(shop, "on_write")))

    assert build_silver_assets(specs) == []


def test_silver_rematerialized_leaves_the_same_rows(tmp_path, shop):
    atlas = silver_platform(tmp_path, shop)
    atlas.materialize("demo/shop/customers", "demo/shop/customers_silver", partition="2026-01-01")

    atlas.materialize("demo/shop/customers_silver", partition="2026-01-01")

    assert atlas.table("shop__customers_silver").num_rows == 24


def test_on_write_masking_leaves_no_clear_value_in_bronze(tmp_path, shop):
    config, specs = load_runner_config(write_runner(tmp_path, customers_runner(shop, "on_write")))
    atlas = Platform(tmp_path, build_definitions(config, specs), dg.DagsterInstance.ephemeral())

    atlas.materialize("demo/shop/customers", partition="2026-01-01")

    emails = atlas.table("shop__customers").column("email")
    assert not pc.any(pc.match_substring(emails, "@")).as_py()
