"""The real Dagster CLI and instance: `dagster asset materialize`, and dagster.yaml's storage choice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from atlas_assets_tests.harness import Shop, platform, shop_source

REPO = Path(__file__).resolve().parents[2]
DAGSTER = str(Path(sys.executable).with_name("dagster"))


def test_dagster_asset_materialize_cli_writes_the_partition_to_iceberg(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=3, per_day=10)
    atlas = platform(tmp_path, shop_source(shop, "orders: {cursor: created_at, primary_key: [id]}"))
    home = tmp_path / "dagster_home"
    home.mkdir()

    completed = subprocess.run(
        [
            DAGSTER,
            "asset",
            "materialize",
            "-m",
            "atlas_assets.definitions",
            "--select",
            "demo/shop/orders",
            "--partition",
            "2026-01-02",
        ],
        cwd=tmp_path,
        env={**os.environ, "ATLAS_RUNNER_CONFIG": str(tmp_path / "runner.yaml"), "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert sorted(atlas.table("shop__orders").column("id").to_pylist()) == list(range(10, 20))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(["demo", "shop", "orders"]))
        assert event is not None
        assert event.asset_materialization.partition == "2026-01-02"


def test_the_shipped_dagster_yaml_uses_embedded_sqlite_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ATLAS_DAGSTER_PG_URL", raising=False)

    with dg.DagsterInstance.from_config(str(REPO)) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert (tmp_path / ".atlas" / "dagster").is_dir()


def test_the_shipped_dagster_yaml_uses_postgres_when_its_url_is_set(pg_url, monkeypatch):
    monkeypatch.setenv("ATLAS_DAGSTER_PG_URL", pg_url)

    with dg.DagsterInstance.from_config(str(REPO)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
