"""Lineage transports chosen by configuration or environment: console (default), file, HTTP, none."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets.lineage.config import LineageConfig
from atlas_assets.lineage.definitions import lineage_definitions
from atlas_assets_tests.harness import Shop, shop_source, write_runner

ORDERS = "orders: {cursor: created_at, primary_key: [id]}"


@pytest.fixture
def ran(tmp_path):
    """A runner.yaml whose orders partition 2026-01-01 was materialized, and the instance holding the run."""
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=1, per_day=12)
    config, specs = load_runner_config(write_runner(tmp_path, shop_source(shop, ORDERS)))
    instance = dg.DagsterInstance.ephemeral()
    job = build_definitions(config, specs).resolve_implicit_global_asset_job_def()
    job.execute_in_process(partition_key="2026-01-01", instance=instance)
    return config, specs, instance


def tick(config, specs, instance, lineage: LineageConfig) -> None:
    (sensor,) = lineage_definitions(config, specs, lineage).sensors
    sensor(dg.build_sensor_context(instance=instance))


def test_the_file_transport_appends_one_json_event_per_line(tmp_path, ran):
    path = tmp_path / "lineage" / "events.jsonl"

    tick(*ran, LineageConfig(transport="file", file_path=str(path)))

    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert {e["job"]["name"] for e in events} >= {"demo.shop.orders", "demo.shop.orders.no_quarantined_rows"}


def test_the_console_transport_prints_each_event_as_json(ran, capsys):
    tick(*ran, LineageConfig(transport="console"))

    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert any(json.loads(line)["job"]["name"] == "demo.shop.orders" for line in lines)


def test_transport_none_adds_no_sensor(ran):
    config, specs, _ = ran

    assert not lineage_definitions(config, specs, LineageConfig(transport="none")).sensors


def test_console_is_the_default_transport():
    assert LineageConfig.from_env({}).transport == "console"


def test_an_openlineage_url_in_the_environment_selects_http_with_its_key():
    env = {"OPENLINEAGE_URL": "http://127.0.0.1:5000", "OPENLINEAGE_API_KEY": "k-123"}

    config = LineageConfig.from_env(env)

    assert (config.transport, config.url, config.api_key.value) == ("http", "http://127.0.0.1:5000", "k-123")
    assert "k-123" not in repr(config)


def test_the_http_transport_without_a_url_is_a_clear_error():
    with pytest.raises(ValueError, match="needs a url"):
        LineageConfig.from_env({"ATLAS_LINEAGE_TRANSPORT": "http"})
