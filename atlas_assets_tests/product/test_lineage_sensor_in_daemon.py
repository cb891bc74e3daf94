"""The `openlineage` sensor as `dagster-daemon` runs it, on each instance storage dagster.yaml offers.

A run is materialized with the `dagster` CLI while the daemon runs; the daemon's own sensor
ticks must deliver that run's lineage to the file transport and never fail a tick.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import TickStatus

from atlas_assets.lineage.definitions import SENSOR_NAME
from atlas_assets_tests.dagster_processes import Deployment, poll
from atlas_assets_tests.harness import Shop, shop_source, write_runner

ORDERS = "orders: {cursor: created_at, primary_key: [id]}"
CHECK_JOB = "demo.shop.orders.no_quarantined_rows"

pytestmark = pytest.mark.slow


def _deployment(tmp_path: Path, storage: dict[str, str]) -> tuple[Deployment, Path]:
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=3, per_day=10)
    lineage_file = tmp_path / "lineage.jsonl"
    environment = {
        **storage,
        "ATLAS_LINEAGE_TRANSPORT": "file",
        "ATLAS_LINEAGE_FILE": str(lineage_file),
        "ATLAS_LINEAGE_INTERVAL": "1",
    }
    runner_yaml = write_runner(tmp_path, shop_source(shop, ORDERS))
    return Deployment.create(tmp_path, runner_yaml, environment), lineage_file


def _events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _sensor_ticks(instance: dg.DagsterInstance) -> list:
    (state,) = [s for s in instance.all_instigator_state() if s.name == SENSOR_NAME]
    return list(instance.get_ticks(state.instigator_origin_id, state.selector_id))


def _assert_daemon_delivers_a_runs_lineage(deployment: Deployment, lineage_file: Path) -> None:
    with deployment.daemon() as daemon:
        completed = deployment.materialize("demo/shop/orders", "--partition", "2026-01-02")
        assert completed.returncode == 0, completed.stderr[-3000:]

        def delivered() -> list[dict]:
            events = _events(lineage_file)
            run_ends = [e for e in events if e["job"]["name"].startswith("__ASSET_JOB")]
            return events if any(e["eventType"] == "COMPLETE" for e in run_ends) else []

        what = "the daemon's sensor to deliver the run's lineage"
        events = poll(delivered, timeout=90, what=what, watch=[daemon])

    names = [(e["job"]["name"], e["eventType"]) for e in events]
    assert ("demo.shop.orders", "COMPLETE") in names
    assert (CHECK_JOB, "COMPLETE") in names
    asset_done = ("demo.shop.orders", "COMPLETE")
    (complete,) = [e for e in events if (e["job"]["name"], e["eventType"]) == asset_done]
    assert complete["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 10
    with deployment.instance() as instance:
        ticks = _sensor_ticks(instance)
    assert ticks, "the daemon never ticked the openlineage sensor"
    failures = [tick.error.to_string() for tick in ticks if tick.status == TickStatus.FAILURE]
    assert failures == []


def test_the_openlineage_sensor_delivers_lineage_in_the_daemon_on_default_sqlite_storage(tmp_path):
    deployment, lineage_file = _deployment(tmp_path, {})
    with deployment.instance() as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"

    _assert_daemon_delivers_a_runs_lineage(deployment, lineage_file)


def test_the_openlineage_sensor_delivers_lineage_in_the_daemon_on_postgres_storage(tmp_path, dagster_pg_url):
    deployment, lineage_file = _deployment(tmp_path, {"ATLAS_DAGSTER_PG_URL": dagster_pg_url})
    with deployment.instance() as instance:
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"

    _assert_daemon_delivers_a_runs_lineage(deployment, lineage_file)
