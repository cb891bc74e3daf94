"""Which process runs a step: a one-step run in the run's own process, several steps one process each."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pytest

from atlas_assets_tests.dagster_processes import Deployment, run_errors
from atlas_assets_tests.harness import Shop, shop_source, write_runner

pytestmark = pytest.mark.slow

OBJECTS = """
orders: {cursor: created_at, primary_key: [id]}
customers: {cursor: updated_at, primary_key: [id], write: upsert}
"""


@pytest.fixture
def deployment(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=2, per_day=3)
    shop.insert(
        shop.customers, [{"id": 1, "email": "a@example.com", "updated_at": dt.datetime(2026, 1, 2, 9)}]
    )
    return Deployment.create(tmp_path, write_runner(tmp_path, shop_source(shop, OBJECTS)))


def _step_pids(deployment: Deployment) -> tuple[int, dict[str, int]]:
    """The pid that started the (only) run, and the pid each of its steps started in."""
    with deployment.instance() as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS, run_errors(instance, run.run_id)
        events = [record.dagster_event for record in instance.all_logs(run.run_id) if record.dagster_event]
    [run_pid] = {event.pid for event in events if event.event_type == dg.DagsterEventType.RUN_START}
    steps = {
        event.step_key: event.pid for event in events if event.event_type == dg.DagsterEventType.STEP_START
    }
    return run_pid, steps


def test_a_one_asset_run_executes_its_step_in_the_run_process(deployment):
    completed = deployment.materialize("demo/shop/orders", "--partition", "2026-01-02")

    assert completed.returncode == 0, completed.stderr[-3000:]
    run_pid, steps = _step_pids(deployment)
    assert steps == {"demo__shop__orders": run_pid}


def test_a_run_of_two_assets_executes_each_step_in_its_own_process(deployment):
    completed = deployment.materialize("demo/shop/orders,demo/shop/customers", "--partition", "2026-01-02")

    assert completed.returncode == 0, completed.stderr[-3000:]
    run_pid, steps = _step_pids(deployment)
    assert set(steps) == {"demo__shop__orders", "demo__shop__customers"}
    assert run_pid not in steps.values()
    assert len(set(steps.values())) == 2


def test_run_config_can_force_a_process_for_a_one_asset_run(deployment):
    forced = json.dumps({"execution": {"config": {"multiprocess": {}}}})

    completed = deployment.materialize(
        "demo/shop/orders", "--partition", "2026-01-02", "--config-json", forced
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    run_pid, steps = _step_pids(deployment)
    assert steps["demo__shop__orders"] != run_pid
