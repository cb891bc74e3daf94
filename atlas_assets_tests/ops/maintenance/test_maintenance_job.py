"""The `<tenant>_maintenance` job after many daily runs: same rows, few snapshots, few files.

Fifty days arrive one by one; each day's partition of `daily` (partition_overwrite) and a run of
`events` (append, a small file per run) are materialized through Dagster, then the tenant's
maintenance job runs as a user launches it. What is on disk is read back from the warehouse.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest
from pyiceberg.table import Table

from atlas_assets.config.loader import load_runner_config
from atlas_assets.iceberg.orphan_files import referenced_paths
from atlas_assets.ops.maintenance.windows import window_of
from atlas_assets_tests.harness import DAY, START, Platform, Shop, platform

RUNS = 50
WINDOWS = 10
HOUR = dt.timedelta(hours=1)
RETAIN_LAST = 5
TABLES = ("daily", "events")


def _maintained_platform(root: Path) -> tuple[Platform, Shop]:
    shop = Shop(root / "shop.db")
    body = f"""
    tenants:
      demo:
        maintenance: {{expire_snapshots_older_than: 0s, retain_last: {RETAIN_LAST}, cron: null}}
        sources:
          shop:
            kind: sql
            url: "{shop.url}"
            objects:
              daily: {{table: orders, cursor: created_at, primary_key: [id]}}
              events: {{table: orders, cursor: id, write: append}}
    """
    return platform(root, body), shop


def _rows(table: Table) -> pa.Table:
    return table.scan().to_arrow().sort_by("id")


def _table_files(table: Table) -> set[str]:
    """Every file under the table's location, data and metadata."""
    root = Path(table.location().removeprefix("file://"))
    return {str(path) for path in root.rglob("*") if path.is_file()}


@dataclass
class Maintained:
    """The two tables before maintenance (rows, snapshot count, files) and after it."""

    platform: Platform
    rows_before: dict[str, pa.Table]
    files_before: dict[str, set[str]]
    data_files_before: dict[str, int]
    snapshots_before: dict[str, int]
    succeeded: bool

    def table(self, name: str) -> Table:
        return self.platform.catalog.load_table(("demo", f"shop__{name}"))


@pytest.fixture(scope="module")
def maintained(tmp_path_factory: pytest.TempPathFactory) -> Maintained:
    """Fifty daily runs of both objects, then one run of the tenant's maintenance job."""
    atlas, shop = _maintained_platform(tmp_path_factory.mktemp("maintenance"))
    for run in range(RUNS):
        # Late rows keep arriving for each of the windows, so each window is re-run again and again.
        window = START + (run % WINDOWS) * DAY
        hour = (run // WINDOWS) * 3
        shop.insert(
            shop.orders,
            [
                {"id": run * 3 + i, "amount_cents": 100 + i, "created_at": window + (hour + i) * HOUR}
                for i in range(3)
            ],
        )
        atlas.materialize("demo/shop/daily", partition=window.date().isoformat())
        atlas.materialize("demo/shop/events")
    tables = {name: atlas.catalog.load_table(("demo", f"shop__{name}")) for name in TABLES}
    before = Maintained(
        atlas,
        rows_before={name: _rows(t) for name, t in tables.items()},
        files_before={name: _table_files(t) for name, t in tables.items()},
        data_files_before={name: len(list(t.scan().plan_files())) for name, t in tables.items()},
        snapshots_before={name: len(t.metadata.snapshots) for name, t in tables.items()},
        succeeded=False,
    )
    job = atlas.defs.resolve_job_def("demo_maintenance")
    before.succeeded = job.execute_in_process(instance=atlas.instance).success
    return before


@pytest.mark.slow
@pytest.mark.parametrize("name", TABLES)
def test_maintenance_leaves_every_row_as_it_was(maintained, name):
    assert maintained.succeeded
    assert maintained.rows_before[name].num_rows == RUNS * 3
    assert _rows(maintained.table(name)).equals(maintained.rows_before[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", TABLES)
def test_maintenance_keeps_at_most_retain_last_snapshots(maintained, name):
    assert maintained.snapshots_before[name] > RETAIN_LAST
    assert len(maintained.table(name).metadata.snapshots) <= RETAIN_LAST


@pytest.mark.slow
def test_an_append_tables_small_file_per_run_is_compacted_into_at_most_two(maintained):
    assert maintained.data_files_before["events"] == RUNS
    assert len(list(maintained.table("events").scan().plan_files())) <= 2


@pytest.mark.slow
def test_every_daily_window_holds_at_most_two_files(maintained):
    table = maintained.table("daily")
    _, specs = load_runner_config(maintained.platform.root / "runner.yaml")
    window_of_file = window_of(next(spec for spec in specs if spec.name == "daily"))
    per_window = Counter(window_of_file(table, task.file) for task in table.scan().plan_files())
    assert len(per_window) == WINDOWS
    assert max(per_window.values()) <= 2


@pytest.mark.slow
@pytest.mark.parametrize("name", TABLES)
def test_only_files_of_kept_snapshots_stay_on_disk(maintained, name):
    table = maintained.table(name)
    on_disk = _table_files(table)
    manifest_lists = {s.manifest_list.removeprefix("file://") for s in table.metadata.snapshots}

    assert {path for path in on_disk if "/data/" in path} == referenced_paths(table)
    assert {path for path in on_disk if Path(path).name.startswith("snap-")} == manifest_lists


@pytest.mark.slow
def test_the_data_files_of_replaced_windows_are_gone_from_disk(maintained):
    gone = maintained.files_before["daily"] - _table_files(maintained.table("daily"))

    # Each window was replaced five times: all but its last file were only in expired snapshots.
    assert len([path for path in gone if "/data/" in path]) >= WINDOWS * 3
