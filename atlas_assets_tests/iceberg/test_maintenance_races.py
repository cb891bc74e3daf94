"""Compaction and snapshot expiry racing a real ingestion commit lose nothing the ingestion wrote.

The race is made deterministic by the `load` the maintenance functions plan on: right after it
hands out the table, an ingestion run of the same object commits, so the maintenance commit is
built on a stale table, exactly as when both run at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from pyiceberg.table import Table

from atlas_assets.config.loader import load_runner_config
from atlas_assets.iceberg.compaction import compact_small_files
from atlas_assets.iceberg.snapshot_expiry import expire_snapshots
from atlas_assets.ops.maintenance.windows import window_of
from atlas_assets_tests.harness import START, Platform, Shop, platform, shop_source

HOUR = dt.timedelta(hours=1)
IDENTIFIER = ("demo", "shop__events")
OBJECTS = """
events: {table: orders, cursor: id, write: append}
daily: {table: orders, cursor: created_at, primary_key: [id]}
"""
TARGET_BYTES = 128 * 1024 * 1024


def _add_rows(shop: Shop, first_id: int) -> None:
    """Three orders on 2026-01-01, an hour apart by id."""
    rows = [
        {"id": n, "amount_cents": 100 + n, "created_at": START + n * HOUR}
        for n in range(first_id, first_id + 3)
    ]
    shop.insert(shop.orders, rows)


def _racing(
    atlas: Platform, identifier: tuple[str, str], ingest: Callable[[], None]
) -> tuple[Callable[[], Table], list[int]]:
    """A `load` that lets one ingestion commit right after the first table it hands out."""
    loads: list[int] = []

    def load() -> Table:
        table = atlas.catalog.load_table(identifier)
        loads.append(len(table.metadata.snapshots))
        if len(loads) == 1:
            ingest()
        return table

    return load, loads


def _ids(atlas: Platform, name: str) -> list[int]:
    return sorted(atlas.table(name).column("id").to_pylist())


def test_a_compaction_planned_before_an_ingestion_commit_keeps_the_ingested_rows(tmp_path: Path):
    shop = Shop(tmp_path / "shop.db")
    atlas = platform(tmp_path, shop_source(shop, OBJECTS))
    for run in range(4):
        _add_rows(shop, run * 3)
        atlas.materialize("demo/shop/events")
    _, specs = load_runner_config(tmp_path / "runner.yaml")
    spec = next(spec for spec in specs if spec.name == "events")

    def ingest() -> None:
        _add_rows(shop, 12)
        atlas.materialize("demo/shop/events")

    load, loads = _racing(atlas, IDENTIFIER, ingest)
    report = compact_small_files(load, window_of(spec), TARGET_BYTES, "compaction-run", "events")

    assert len(loads) >= 2, "the compaction commit did not meet the ingestion commit"
    assert _ids(atlas, "shop__events") == list(range(15))
    assert report.files_removed == 5
    assert len(list(atlas.catalog.load_table(IDENTIFIER).scan().plan_files())) == 1


def test_an_expiry_planned_before_an_ingestion_commit_keeps_the_replaced_window_readable(tmp_path: Path):
    shop = Shop(tmp_path / "shop.db")
    atlas = platform(tmp_path, shop_source(shop, OBJECTS))
    for run in range(4):
        _add_rows(shop, run * 3)
        atlas.materialize("demo/shop/daily", partition="2026-01-01")

    def ingest() -> None:
        _add_rows(shop, 12)
        atlas.materialize("demo/shop/daily", partition="2026-01-01")

    load, loads = _racing(atlas, ("demo", "shop__daily"), ingest)
    expire_snapshots(load, dt.datetime.now(dt.UTC), retain_last=1, what="daily")

    table = atlas.catalog.load_table(("demo", "shop__daily"))
    assert loads[0] > 1
    assert _ids(atlas, "shop__daily") == list(range(15))
    # Every file the current snapshot reads is still on disk.
    for task in table.scan().plan_files():
        assert Path(task.file.file_path.removeprefix("file://")).is_file()
    # The newest snapshot of the plan, and the ingestion's delete and append.
    assert len(table.metadata.snapshots) == 3
