"""Failed freshness checks are told through `notify:` like failed runs: one message per failure.

The freshness check is evaluated for real on a persistent DagsterInstance (materialize, let the
object go stale, execute the check as the freshness sensor's run does); the notification sensor
is then ticked with its own cursor, as the daemon does.
"""

from __future__ import annotations

import time
from pathlib import Path

import dagster as dg

from atlas_assets.config import naming
from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets_tests.harness import Shop, write_runner

ORDERS = dg.AssetKey(["acme", "shop", "orders"])
ORDERS_FRESHNESS = dg.AssetCheckKey(ORDERS, naming.FRESHNESS_CHECK_NAME)


def acme(root: Path, url: str, max_lag: str) -> dg.Definitions:
    shop = Shop(root / "shop.db")
    shop.add_orders(days=1, per_day=3)
    body = f"""
    tenants:
      acme:
        notify: [{{kind: webhook, url: "{url}"}}]
        sources:
          shop:
            kind: sql
            url: "{shop.url}"
            objects:
              orders: {{cursor: created_at, freshness: {{max_lag: {max_lag}}}}}
    """
    return build_definitions(*load_runner_config(write_runner(root, body)))


def materialize(defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
    """The orders of 2026-01-01, without the freshness check (it is evaluated on its own below)."""
    checks = defs.resolve_asset_graph().asset_check_keys
    own_checks = {key for key in checks if key.asset_key == ORDERS and key != ORDERS_FRESHNESS}
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={ORDERS}, asset_check_selection=own_checks
    )
    assert job.execute_in_process(instance=instance, partition_key="2026-01-01").success


def evaluate_freshness(defs: dg.Definitions, instance: dg.DagsterInstance) -> str:
    """Execute the freshness check alone, as the freshness sensor's run does; its run id."""
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(), asset_check_selection={ORDERS_FRESHNESS}
    )
    result = job.execute_in_process(instance=instance)
    assert result.success  # a failed freshness check fails the check, not its run
    return result.run_id


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None) -> str | None:
    sensor = defs.resolve_sensor_def(naming.FAILURE_NOTIFICATION_SENSOR)
    return sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor)).cursor


def test_a_failed_freshness_check_is_notified_exactly_once_however_many_ticks_follow(
    tmp_path, instance, receiver
):
    defs = acme(tmp_path, f"{receiver.url}/acme", "1s")
    materialize(defs, instance)
    time.sleep(1.5)
    run_id = evaluate_freshness(defs, instance)

    cursor = None
    for _ in range(3):
        cursor = tick(defs, instance, cursor)

    [notice] = receiver.bodies("/acme")
    assert notice["kind"] == "freshness"
    assert notice["tenant"] == "acme"
    assert notice["assets"] == ["acme/shop/orders"]
    assert notice["checks"] == ["acme/shop/orders:freshness_check"]
    assert notice["error"].startswith("Asset is overdue")
    assert notice["run_url"] == f"http://127.0.0.1:3000/runs/{run_id}"


def test_a_passing_freshness_check_is_not_notified(tmp_path, instance, receiver):
    defs = acme(tmp_path, f"{receiver.url}/acme", "1h")
    materialize(defs, instance)
    evaluate_freshness(defs, instance)

    tick(defs, instance, None)

    assert receiver.requests == []
