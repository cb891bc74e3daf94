"""Faults: permanent errors fail at once, transient ones are retried, a killed run changes nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import dagster as dg

from atlas_assets_tests.harness import Shop, platform, shop_source


def _step_events(result: dg.ExecuteInProcessResult, event_type: dg.DagsterEventType) -> list[dg.DagsterEvent]:
    return [e for e in result.all_events if e.event_type == event_type]


def test_a_missing_source_table_fails_at_once_without_retries_naming_the_object(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    atlas = platform(
        tmp_path,
        shop_source(shop, "refunds: {cursor: created_at, retry: {max_retries: 3, delay_seconds: 0}}"),
    )

    result = atlas.materialize("demo/shop/refunds", partition="2026-01-01", raise_on_error=False)

    assert not result.success
    assert _step_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    [failure] = _step_events(result, dg.DagsterEventType.STEP_FAILURE)
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith("demo.shop.refunds: ")
    assert description.count("demo.shop.refunds") == 1  # named once, never by the connector too
    assert "'refunds' does not exist" in description


def test_a_missing_cursor_column_fails_at_once_listing_the_columns(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    atlas = platform(
        tmp_path, shop_source(shop, "orders: {cursor: placed_at, retry: {max_retries: 3, delay_seconds: 0}}")
    )

    result = atlas.materialize("demo/shop/orders", partition="2026-01-01", raise_on_error=False)

    assert _step_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    [failure] = _step_events(result, dg.DagsterEventType.STEP_FAILURE)
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith("demo.shop.orders: ")
    assert description.count("demo.shop.orders") == 1
    assert "cursor 'placed_at'" in description
    assert "amount_cents, created_at, id" in description


def test_an_unreachable_server_is_retried_per_policy_then_fails(tmp_path):
    body = """
    tenants:
      demo:
        sources:
          remote:
            kind: sql
            url: "postgresql+psycopg2://nobody:s3cret-pass@127.0.0.1:9/none"
            retry: {max_retries: 2, delay_seconds: 0}
            objects:
              orders: {cursor: created_at}
    """
    atlas = platform(tmp_path, body)

    result = atlas.materialize("demo/remote/orders", partition="2026-01-01", raise_on_error=False)

    assert not result.success
    assert len(_step_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 2
    logged = " ".join(str(e.event_specific_data) for e in result.all_events)
    assert "s3cret-pass" not in logged


_KILLABLE_RUN = """
import dagster as dg
from atlas_assets.factory.definitions import definitions_from_file

defs = definitions_from_file({runner!r})
job = defs.resolve_implicit_global_asset_job_def()
job.execute_in_process(
    asset_selection=[dg.AssetKey(["demo", "shop", "orders"])],
    tags={{
        "dagster/asset_partition_range_start": "2026-01-01",
        "dagster/asset_partition_range_end": "2026-01-31",
    }},
    instance=dg.DagsterInstance.ephemeral(),
)
"""


def test_a_run_killed_mid_write_leaves_the_table_as_it_was_and_a_rerun_succeeds(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=31, per_day=4000)
    objects = "orders: {cursor: created_at, primary_key: [id], batch_size: 2000}"
    atlas = platform(tmp_path, shop_source(shop, objects), target_file_mb=1)
    atlas.materialize("demo/shop/orders", partition="2026-01-01")
    before_rows = atlas.table("shop__orders").num_rows
    before_snapshots = atlas.snapshots("shop__orders")
    files_before = _data_files(tmp_path)

    script = _KILLABLE_RUN.format(runner=str(tmp_path / "runner.yaml"))
    run = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)])
    deadline = time.monotonic() + 120
    while not (_data_files(tmp_path) - files_before) and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    run.wait()

    assert run.returncode == -signal.SIGKILL, "the run finished before it could be killed mid-write"
    assert _data_files(tmp_path) - files_before, "the run was killed before writing any file"
    assert atlas.snapshots("shop__orders") == before_snapshots
    assert atlas.table("shop__orders").num_rows == before_rows
    result = atlas.materialize("demo/shop/orders", partition_range=("2026-01-01", "2026-01-31"))
    assert result.success
    assert atlas.table("shop__orders").num_rows == 31 * 4000


def _data_files(root) -> set:
    return {
        p
        for p in (root / "warehouse").rglob("*.parquet")
        if "shop__orders" in str(p) and "quarantine" not in str(p)
    }
