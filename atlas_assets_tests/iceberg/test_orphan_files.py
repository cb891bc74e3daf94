"""Orphan data files: what no snapshot references is found, and removed only when allowed."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from pathlib import Path

import dagster as dg
from pyiceberg.table import Table

from atlas_assets.iceberg.data_files import data_file_name
from atlas_assets.iceberg.orphan_files import (
    older_than,
    orphan_files,
    referenced_paths,
    remove_orphan_files,
    stored_files,
)
from atlas_assets_tests.harness import Platform, Shop, platform, shop_source

ORDERS = "orders: {cursor: created_at, primary_key: [id]}"
FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def shop_platform(tmp_path: Path) -> Platform:
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=2, per_day=5)
    return platform(tmp_path, shop_source(shop, ORDERS))


def orders(atlas: Platform) -> Table:
    return atlas.catalog.load_table(("demo", "shop__orders"))


def plant_orphan(table: Table, run_id: str) -> Path:
    """A copy of a committed data file under a name of `run_id`, as a run killed mid-write leaves it."""
    committed = Path(sorted(referenced_paths(table))[0])
    orphan = committed.with_name(data_file_name(run_id, uuid.uuid4().hex, 0, "parquet"))
    shutil.copy(committed, orphan)
    return orphan


def test_a_data_file_no_snapshot_references_is_an_orphan(tmp_path: Path) -> None:
    atlas = shop_platform(tmp_path)
    atlas.materialize("demo/shop/orders", partition="2026-01-01")
    orphan = plant_orphan(orders(atlas), str(uuid.uuid4()))

    assert [Path(f.path) for f in orphan_files(orders(atlas))] == [orphan]


def test_files_only_an_older_snapshot_references_are_not_orphans(tmp_path: Path) -> None:
    atlas = shop_platform(tmp_path)
    atlas.materialize("demo/shop/orders", partition="2026-01-01")
    first_files = referenced_paths(orders(atlas))
    atlas.materialize("demo/shop/orders", partition="2026-01-01")  # replaces the window's files

    table = orders(atlas)
    assert first_files <= {f.path for f in stored_files(table)}
    assert orphan_files(table) == []


def test_removal_deletes_only_the_orphans_it_is_allowed_to(tmp_path: Path) -> None:
    atlas = shop_platform(tmp_path)
    atlas.materialize("demo/shop/orders", partition="2026-01-01")
    rows_before = atlas.table("shop__orders").sort_by("id")
    kept = plant_orphan(orders(atlas), str(uuid.uuid4()))
    doomed = plant_orphan(orders(atlas), str(uuid.uuid4()))

    removed = remove_orphan_files(orders(atlas), lambda f: Path(f.path) == doomed)

    assert [Path(f.path) for f in removed] == [doomed]
    assert not doomed.exists()
    assert kept.exists()
    assert atlas.table("shop__orders").sort_by("id") == rows_before


def test_maintenance_by_age_keeps_files_modified_after_the_cutoff(tmp_path: Path) -> None:
    atlas = shop_platform(tmp_path)
    atlas.materialize("demo/shop/orders", partition="2026-01-01")
    orphan = plant_orphan(orders(atlas), str(uuid.uuid4()))
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)

    assert remove_orphan_files(orders(atlas), older_than(recent)) == []
    assert [Path(f.path) for f in remove_orphan_files(orders(atlas), older_than(FUTURE))] == [orphan]


def test_a_run_removes_the_files_an_ended_run_left_and_reports_it(tmp_path: Path) -> None:
    atlas = shop_platform(tmp_path)
    atlas.materialize("demo/shop/orders", partition="2026-01-01")
    # A run the instance knows has ended that never committed these files (killed mid-write).
    ended_run = atlas.instance.create_run_for_job(
        atlas.defs.resolve_implicit_global_asset_job_def(), run_id=str(uuid.uuid4())
    )
    atlas.instance.report_run_failed(ended_run)
    orphan = plant_orphan(orders(atlas), ended_run.run_id)

    result = atlas.materialize("demo/shop/orders", partition="2026-01-02")

    assert result.success
    assert not orphan.exists()
    assert {f.path for f in stored_files(orders(atlas))} == referenced_paths(orders(atlas))
    [materialization] = result.asset_materializations_for_node("demo__shop__orders")
    assert materialization.metadata["atlas/orphan_files_removed"] == dg.IntMetadataValue(1)


def test_a_run_keeps_the_files_of_a_run_still_in_progress(tmp_path: Path) -> None:
    atlas = shop_platform(tmp_path)
    atlas.materialize("demo/shop/orders", partition="2026-01-01")
    running = atlas.instance.create_run_for_job(
        atlas.defs.resolve_implicit_global_asset_job_def(),
        run_id=str(uuid.uuid4()),
        status=dg.DagsterRunStatus.STARTED,
    )
    in_flight = plant_orphan(orders(atlas), running.run_id)

    atlas.materialize("demo/shop/orders", partition="2026-01-02")

    assert in_flight.exists()
    assert [Path(f.path) for f in orphan_files(orders(atlas))] == [in_flight]
