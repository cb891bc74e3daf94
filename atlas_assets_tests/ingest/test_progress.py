"""Progress lines in the run log: what a user watching a long extraction in the UI reads."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pyarrow as pa

from atlas_assets.connectors.contract import ExtractProgress
from atlas_assets.ingest.progress import ProgressReporter
from atlas_assets_tests.harness import Platform, Shop, platform


def csv_platform(root: Path, files: int = 2, rows_per_file: int = 40) -> Platform:
    """A `leads` csv object of `files` equally sized files, read in batches of 10 rows."""
    directory = root / "files"
    directory.mkdir()
    for number in range(files):
        rows = "".join(f"{number * rows_per_file + i},lead {i}\n" for i in range(rows_per_file))
        (directory / f"leads_{number}.csv").write_text("id,name\n" + rows)
    return platform(
        root,
        f"""
        tenants:
          demo:
            sources:
              files:
                kind: csv
                path: "{directory}"
                objects:
                  leads: {{primary_key: [id], batch_size: 10}}
        """,
    )


def run_logs(atlas: Platform, result: dg.ExecuteInProcessResult) -> list[str]:
    """The user-facing messages of the run's log, as the UI's run view lists them."""
    return [record.user_message for record in atlas.instance.all_logs(result.run_id)]


def materialize_every_batch_logged(atlas: Platform, key: str) -> dg.ExecuteInProcessResult:
    """A run whose IO manager logs progress after every batch (interval 0), as a long run would."""
    job = atlas.defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        asset_selection=[dg.AssetKey.from_user_string(key)],
        instance=atlas.instance,
        run_config={"resources": {"iceberg_io_manager": {"config": {"progress_interval_seconds": 0}}}},
    )


def test_run_log_shows_rows_and_rate_while_extracting(tmp_path: Path) -> None:
    atlas = csv_platform(tmp_path)

    result = materialize_every_batch_logged(atlas, "demo/files/leads")

    lines = [m for m in run_logs(atlas, result) if m.startswith("demo.files.leads: extracting ")]
    assert len(lines) == 8  # 80 rows in batches of 10
    assert "demo.files.leads: extracting 10 rows," in lines[0]
    assert "1 batch," in lines[0]
    assert "rows/s" in lines[0]
    assert "demo.files.leads: extracting 80 rows," in lines[-1]


def test_csv_progress_tells_share_of_file_bytes_and_eta(tmp_path: Path) -> None:
    atlas = csv_platform(tmp_path)
    sizes = [path.stat().st_size for path in sorted((tmp_path / "files").iterdir())]

    result = materialize_every_batch_logged(atlas, "demo/files/leads")

    first = next(m for m in run_logs(atlas, result) if m.startswith("demo.files.leads: extracting "))
    # Arrow reads a small file in one block: after its first batch, the first of two files is read.
    assert f"{sizes[0]:,} B read" in first
    assert f"{sizes[0] / sum(sizes):.0%} done, ETA 0:00:" in first


def test_each_asset_logs_one_final_progress_line(tmp_path: Path) -> None:
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=1, per_day=5)
    atlas = platform(
        tmp_path,
        f"""
        tenants:
          demo:
            sources:
              shop:
                kind: sql
                url: "{shop.url}"
                objects:
                  orders: {{primary_key: [id]}}
                  customers: {{primary_key: [id]}}
        """,
    )

    result = atlas.materialize("demo/shop/orders", "demo/shop/customers")

    finals = sorted(m for m in run_logs(atlas, result) if ": extracted " in m)
    assert [m.split(",")[0] for m in finals] == [
        "demo.shop.customers: extracted 0 rows",
        "demo.shop.orders: extracted 5 rows",
    ]
    assert all("rows/s" in m for m in finals)
    # A run shorter than the interval logs no line in between.
    assert not [m for m in run_logs(atlas, result) if ": extracting " in m]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Lines:
    """A log that keeps what it is given."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: str) -> None:
        self.lines.append(msg)


def batches_at(clock: Clock, seconds: list[float]) -> list[pa.RecordBatch]:
    """One 100-row batch per entry of `seconds`, each read as the clock shows that time."""

    def batches():
        for moment in seconds:
            clock.now = moment
            yield pa.record_batch({"id": list(range(100))})

    return batches()  # type: ignore[return-value]


def test_progress_lines_come_at_most_once_per_interval() -> None:
    clock, log = Clock(), Lines()
    reporter = ProgressReporter("acme.api.orders", log, ExtractProgress(), {}, interval=10, clock=clock)

    list(reporter.track(iter(batches_at(clock, [1, 5, 9, 11, 15, 20, 30]))))

    assert [line.split(",")[0] for line in log.lines] == [
        "acme.api.orders: extracting 400 rows",  # at 11 s; 20 s is only 9 s later
        "acme.api.orders: extracting 700 rows",  # at 30 s
        "acme.api.orders: extracted 700 rows",
    ]


def test_progress_tells_eta_from_an_api_total_of_rows() -> None:
    clock, log = Clock(), Lines()
    reporter = ProgressReporter(
        "acme.api.orders", log, ExtractProgress(total_rows=400), {"pages": 1}, interval=10, clock=clock
    )

    list(reporter.track(iter(batches_at(clock, [10]))))

    assert log.lines[0] == (
        "acme.api.orders: extracting 100 rows, 800 B in Arrow, 1 batch, 1 page, 10 rows/s, "
        "0:00:10 elapsed, 25% done, ETA 0:00:30"
    )
