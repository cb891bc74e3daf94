"""Freshness checks from `freshness: {max_lag}`: in the definitions, evaluated on a real instance."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from atlas_assets.config import naming
from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets_tests.harness import Shop, write_runner

ORDERS = dg.AssetKey(["acme", "shop", "orders"])
REFUNDS = dg.AssetKey(["acme", "shop", "refunds"])
ORDERS_FRESHNESS = dg.AssetCheckKey(ORDERS, naming.FRESHNESS_CHECK_NAME)


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    home = tmp_path / "dagster"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as test_instance:
        yield test_instance


def shop_defs(root: Path, max_lag: str) -> dg.Definitions:
    """Tenant acme: `orders` must be at most `max_lag` old, `refunds` has no freshness."""
    shop = Shop(root / "shop.db")
    shop.add_orders(days=2, per_day=3)
    shop.execute("CREATE TABLE refunds (id INTEGER PRIMARY KEY, created_at TIMESTAMP)")
    body = f"""
    tenants:
      acme:
        sources:
          shop:
            kind: sql
            url: "{shop.url}"
            objects:
              orders: {{cursor: created_at, freshness: {{max_lag: {max_lag}}}}}
              refunds: {{cursor: created_at}}
    """
    return build_definitions(*load_runner_config(write_runner(root, body)))


def materialize(defs: dg.Definitions, instance: dg.DagsterInstance, partition: str) -> None:
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        asset_selection=[ORDERS], instance=instance, partition_key=partition
    )
    assert result.success


def evaluate_freshness(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.AssetCheckEvaluation:
    """Execute only the freshness check of `orders`, as the freshness sensor's run does."""
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(), asset_check_selection={ORDERS_FRESHNESS}
    )
    result = job.execute_in_process(instance=instance)
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def test_an_object_with_freshness_has_a_freshness_check_and_one_without_has_none(tmp_path):
    defs = shop_defs(tmp_path, "26h")

    freshness_checks = {
        key for key in defs.resolve_asset_graph().asset_check_keys if key.name == naming.FRESHNESS_CHECK_NAME
    }
    assert freshness_checks == {ORDERS_FRESHNESS}


def test_the_freshness_sensor_is_defined_running_by_default(tmp_path):
    defs = shop_defs(tmp_path, "26h")

    sensor = defs.resolve_sensor_def(naming.FRESHNESS_SENSOR)
    assert sensor.default_status is dg.DefaultSensorStatus.RUNNING


def test_the_freshness_sensor_asks_for_a_run_of_a_check_never_evaluated(tmp_path, instance):
    defs = shop_defs(tmp_path, "26h")

    sensor = defs.resolve_sensor_def(naming.FRESHNESS_SENSOR)
    data = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs))

    [request] = data.run_requests
    assert set(request.asset_check_keys or ()) == {ORDERS_FRESHNESS}


def test_freshness_fails_when_the_last_materialization_is_older_than_max_lag(tmp_path, instance):
    defs = shop_defs(tmp_path, "1s")
    materialize(defs, instance, "2026-01-01")
    time.sleep(1.5)

    evaluation = evaluate_freshness(defs, instance)

    assert not evaluation.passed
    assert evaluation.severity is dg.AssetCheckSeverity.ERROR


def test_freshness_passes_when_the_last_materialization_is_recent(tmp_path, instance):
    defs = shop_defs(tmp_path, "1h")
    materialize(defs, instance, "2026-01-01")

    assert evaluate_freshness(defs, instance).passed


def test_freshness_fails_when_the_object_was_never_materialized(tmp_path, instance):
    defs = shop_defs(tmp_path, "1h")

    assert not evaluate_freshness(defs, instance).passed
