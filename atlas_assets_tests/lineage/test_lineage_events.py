"""OpenLineage events, received by a local HTTP server standing in for Marquez."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets.lineage.config import LineageConfig
from atlas_assets.lineage.definitions import lineage_definitions
from atlas_assets_tests.harness import Platform, Shop, shop_source, write_runner

ORDERS = "orders: {cursor: created_at, primary_key: [id]}"
API_KEY = "lineage-api-key-7c1e"


@dataclass
class Receiver:
    """A Marquez stand-in: records every POSTed event and the headers it came with."""

    status: int = 201
    events: list[dict] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self, port: int = 0) -> int:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.bodies.append(body)
                receiver.headers.append(dict(self.headers))
                if receiver.status < 300:
                    receiver.events.append(json.loads(body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.server.server_port

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def named(self, job: str, event_type: str | None = None) -> list[dict]:
        matching = [e for e in self.events if e["job"]["name"] == job]
        return [e for e in matching if event_type is None or e["eventType"] == event_type]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def shop(tmp_path) -> Shop:
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=3, per_day=24)
    return shop


def http_lineage(port: int) -> LineageConfig:
    return LineageConfig(transport="http", url=f"http://127.0.0.1:{port}", api_key=API_KEY, timeout_seconds=2)


def lineage_platform(tmp_path, body: str, lineage: LineageConfig) -> tuple[Platform, dg.SensorDefinition]:
    config, specs = load_runner_config(write_runner(tmp_path, body))
    defs = build_definitions(config, specs)
    (sensor,) = lineage_definitions(config, specs, lineage).sensors
    return Platform(tmp_path, defs, dg.DagsterInstance.ephemeral()), sensor


def orders_platform(tmp_path, shop: Shop, receiver: Receiver) -> tuple[Platform, dg.SensorDefinition]:
    return lineage_platform(tmp_path, shop_source(shop, ORDERS), http_lineage(receiver.server.server_port))


def tick(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, cursor: str | None = None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = sensor(context)
    return result, context.cursor


def dataset(event: dict, side: str) -> tuple[str, str]:
    (only,) = event[side]
    return only["namespace"], only["name"]


def test_an_ingestion_run_emits_its_iceberg_table_as_output(tmp_path, shop, receiver):
    atlas, sensor = orders_platform(tmp_path, shop, receiver)
    atlas.materialize("demo/shop/orders", partition="2026-01-02")

    tick(sensor, atlas.instance)

    (complete,) = receiver.named("demo.shop.orders", "COMPLETE")
    catalog_file = (tmp_path / "catalog.db").resolve().as_posix()
    assert dataset(complete, "outputs") == (f"iceberg+sqlite://{catalog_file}", "demo.shop__orders")


def test_the_source_dataset_is_named_after_the_source_system(tmp_path, shop, receiver):
    atlas, sensor = orders_platform(tmp_path, shop, receiver)
    atlas.materialize("demo/shop/orders", partition="2026-01-02")

    tick(sensor, atlas.instance)

    (complete,) = receiver.named("demo.shop.orders", "COMPLETE")
    assert dataset(complete, "inputs") == (shop.url, "orders")


def test_the_output_carries_schema_and_row_count_facets(tmp_path, shop, receiver):
    atlas, sensor = orders_platform(tmp_path, shop, receiver)
    atlas.materialize("demo/shop/orders", partition="2026-01-02")

    tick(sensor, atlas.instance)

    (complete,) = receiver.named("demo.shop.orders", "COMPLETE")
    (output,) = complete["outputs"]
    fields = {f["name"] for f in output["facets"]["schema"]["fields"]}
    assert {"id", "amount_cents", "created_at", "_atlas_run_id"} <= fields
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 24


def test_the_dagster_run_starts_and_completes_and_parents_the_asset_run(tmp_path, shop, receiver):
    atlas, sensor = orders_platform(tmp_path, shop, receiver)
    result = atlas.materialize("demo/shop/orders", partition="2026-01-02")

    tick(sensor, atlas.instance)

    job = result.job_def.name
    assert [e["run"]["runId"] for e in receiver.named(job)] == [result.run_id, result.run_id]
    assert [e["eventType"] for e in receiver.named(job)] == ["START", "COMPLETE"]
    (complete,) = receiver.named("demo.shop.orders", "COMPLETE")
    assert complete["run"]["facets"]["parent"]["run"]["runId"] == result.run_id
    assert complete["run"]["facets"]["nominalTime"]["nominalStartTime"].startswith("2026-01-02T00:00")


def test_an_asset_check_emits_a_data_quality_assertion_on_the_table(tmp_path, shop, receiver):
    atlas, sensor = orders_platform(tmp_path, shop, receiver)
    atlas.materialize("demo/shop/orders", partition="2026-01-02")

    tick(sensor, atlas.instance)

    (check,) = receiver.named("demo.shop.orders.no_quarantined_rows")
    (table,) = check["inputs"]
    assert table["name"] == "demo.shop__orders"
    assert table["inputFacets"]["dataQualityAssertions"]["assertions"] == [
        {"assertion": "no_quarantined_rows", "success": True, "params": {}}
    ]


def test_a_silver_asset_reads_the_bronze_table(tmp_path, shop, receiver):
    body = f"""
    tenants:
      demo:
        pii_scan: {{masking: silver}}
        sources:
          shop:
            kind: sql
            url: "{shop.url}"
            objects:
              orders: {{cursor: created_at, primary_key: [id], pii: {{amount_cents: redact}}}}
    """
    atlas, sensor = lineage_platform(tmp_path, body, http_lineage(receiver.server.server_port))
    atlas.materialize("demo/shop/orders", "demo/shop/orders_silver", partition="2026-01-02")

    tick(sensor, atlas.instance)

    (complete,) = receiver.named("demo.shop.orders_silver", "COMPLETE")
    assert dataset(complete, "inputs")[1] == "demo.shop__orders"
    assert dataset(complete, "outputs")[1] == "demo.shop__orders_silver"


def test_a_down_receiver_neither_fails_the_run_nor_moves_the_cursor(tmp_path, shop):
    receiver = Receiver()
    port = receiver.start()
    receiver.stop()
    atlas, sensor = lineage_platform(tmp_path, shop_source(shop, ORDERS), http_lineage(port))

    result = atlas.materialize("demo/shop/orders", partition="2026-01-02")
    skip, cursor = tick(sensor, atlas.instance)

    assert result.success
    assert "receiver unavailable" in skip.skip_message
    assert cursor == "0"


def test_events_held_back_by_a_down_receiver_arrive_once_it_is_back(tmp_path, shop):
    receiver = Receiver()
    port = receiver.start()
    receiver.stop()
    atlas, sensor = lineage_platform(tmp_path, shop_source(shop, ORDERS), http_lineage(port))
    atlas.materialize("demo/shop/orders", partition="2026-01-02")
    _, cursor = tick(sensor, atlas.instance)

    receiver.start(port)
    try:
        tick(sensor, atlas.instance, cursor)
    finally:
        receiver.stop()

    assert len(receiver.named("demo.shop.orders", "COMPLETE")) == 1


def test_an_event_the_receiver_rejects_is_skipped_not_retried_forever(tmp_path, shop, receiver):
    receiver.status = 400
    atlas, sensor = orders_platform(tmp_path, shop, receiver)
    atlas.materialize("demo/shop/orders", partition="2026-01-02")

    skip, cursor = tick(sensor, atlas.instance)

    assert int(cursor) > 0
    assert "skipped" in skip.skip_message


def test_credentials_never_appear_in_events(tmp_path, receiver, monkeypatch):
    password = "S3cret-Pg-Pass"
    monkeypatch.setenv("DEMO_LINEAGE_PG_URL", f"postgresql+psycopg2://atlas:{password}@127.0.0.1:1/shop")
    body = """
    tenants:
      demo:
        sources:
          warehouse_db:
            kind: sql
            url: "${DEMO_LINEAGE_PG_URL}"
            objects:
              orders: {cursor: created_at, primary_key: [id]}
    """
    atlas, sensor = lineage_platform(tmp_path, body, http_lineage(receiver.server.server_port))
    atlas.materialize("demo/warehouse_db/orders", partition="2026-01-02", raise_on_error=False)

    tick(sensor, atlas.instance)

    assert receiver.named("demo.warehouse_db.orders", "FAIL")
    everything = "\n".join(receiver.bodies)
    assert password not in everything
    assert "atlas:" not in everything
    assert API_KEY not in everything
    assert {h["Authorization"] for h in receiver.headers} == {f"Bearer {API_KEY}"}


def test_each_partition_of_a_single_run_backfill_completes_with_its_own_row_count(tmp_path, shop, receiver):
    atlas, sensor = orders_platform(tmp_path, shop, receiver)
    atlas.materialize("demo/shop/orders", partition_range=("2026-01-01", "2026-01-03"))

    tick(sensor, atlas.instance)

    completes = receiver.named("demo.shop.orders", "COMPLETE")
    by_day = {
        e["run"]["facets"]["nominalTime"]["nominalStartTime"][:10]: e["outputs"][0]["outputFacets"][
            "outputStatistics"
        ]["rowCount"]
        for e in completes
    }
    assert by_day == {"2026-01-01": 24, "2026-01-02": 24, "2026-01-03": 24}
    assert len({e["run"]["runId"] for e in completes}) == 3


def test_each_partition_of_a_single_run_backfill_reports_its_own_check_result(tmp_path, shop, receiver):
    atlas, sensor = orders_platform(tmp_path, shop, receiver)
    atlas.materialize("demo/shop/orders", partition_range=("2026-01-01", "2026-01-03"))

    tick(sensor, atlas.instance)

    checks = receiver.named("demo.shop.orders.row_count", "COMPLETE")
    by_day = {
        e["run"]["facets"]["nominalTime"]["nominalStartTime"][:10]: e["run"]["facets"]["atlas_asset_check"]
        for e in checks
    }
    assert {day: (facet["passed"], facet["metrics"]["rows_written"]) for day, facet in by_day.items()} == {
        "2026-01-01": (True, 24),
        "2026-01-02": (True, 24),
        "2026-01-03": (True, 24),
    }
