"""The definitions factory: one asset per tenant × source × object, shaped by runner.yaml."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from atlas_assets.config.loader import parse_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets.factory.resources import build_source_resources

RUNNER = """
defaults:
  partitions: {granularity: daily, start: "2026-01-01", timezone: UTC}
  schedule: {cron: "0 3 * * *"}
  retry: {max_retries: 3, delay_seconds: 30, backoff: exponential, jitter: plus_minus}
tenants:
  demo:
    owners: ["team:data-platform"]
    sources:
      shop:
        kind: sql
        url: "${DEMO_SHOP_URL}"
        objects:
          orders: {cursor: created_at, primary_key: [id], description: "Orders placed in the shop."}
          customers: {cursor: updated_at, primary_key: [id], write: upsert}
          products: {}
  acme:
    schedule: {cron: "0 */6 * * *", timezone: Europe/Paris}
    partitions: {granularity: hourly}
    sources:
      app_db:
        kind: sql
        url: "sqlite:///acme.db"
        retry: {max_retries: 1, delay_seconds: 5, backoff: linear, jitter: null}
        objects:
          events: {cursor: at}
          audit: {cursor: at, schedule: {cron: null}}
"""


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    config, specs = parse_runner_config(RUNNER, "runner.yaml", {"DEMO_SHOP_URL": "sqlite:///shop.db"})
    return build_definitions(config, specs)


def _ingest_jobs(defs: dg.Definitions) -> list[UnresolvedAssetJobDefinition]:
    return [job for job in defs.jobs if isinstance(job, UnresolvedAssetJobDefinition)]


def _asset(defs: dg.Definitions, key: str) -> dg.AssetsDefinition:
    return defs.resolve_assets_def(dg.AssetKey.from_user_string(key))


def test_every_object_becomes_one_asset_keyed_tenant_source_object(defs):
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {
        "demo/shop/orders",
        "demo/shop/customers",
        "demo/shop/products",
        "acme/app_db/events",
        "acme/app_db/audit",
    }


def test_assets_are_grouped_by_tenant_and_tagged_with_tenant_and_source(defs):
    spec = _asset(defs, "acme/app_db/events").specs_by_key[dg.AssetKey(["acme", "app_db", "events"])]
    assert spec.group_name == "acme"
    assert spec.tags["atlas/tenant"] == "acme"
    assert spec.tags["atlas/source"] == "app_db"
    assert spec.kinds == {"sql", "iceberg"}


def test_descriptions_and_owners_come_from_runner_yaml(defs):
    spec = next(iter(_asset(defs, "demo/shop/orders").specs))
    assert spec.description == "Orders placed in the shop."
    assert spec.owners == ["team:data-platform"]
    generated = next(iter(_asset(defs, "demo/shop/customers").specs)).description
    assert "demo.shop__customers" in generated
    assert "upsert" in generated


def test_objects_with_the_same_partition_settings_share_one_partitions_definition(defs):
    orders, customers = _asset(defs, "demo/shop/orders"), _asset(defs, "demo/shop/customers")
    events = _asset(defs, "acme/app_db/events")
    assert orders.partitions_def is customers.partitions_def
    assert isinstance(orders.partitions_def, dg.DailyPartitionsDefinition)
    assert isinstance(events.partitions_def, dg.HourlyPartitionsDefinition)
    assert events.partitions_def.start == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_replace_objects_are_unpartitioned(defs):
    assert _asset(defs, "demo/shop/products").partitions_def is None


def test_time_partitioned_assets_backfill_a_range_in_a_single_run(defs):
    assert _asset(defs, "demo/shop/orders").backfill_policy == dg.BackfillPolicy.single_run()


def test_retry_policies_are_inherited_and_overridden_per_source(defs):
    demo = _asset(defs, "demo/shop/orders").node_def.retry_policy
    acme = _asset(defs, "acme/app_db/events").node_def.retry_policy
    assert (demo.max_retries, demo.delay, demo.backoff, demo.jitter) == (
        3,
        30,
        dg.Backoff.EXPONENTIAL,
        dg.Jitter.PLUS_MINUS,
    )
    assert (acme.max_retries, acme.delay, acme.backoff, acme.jitter) == (1, 5, dg.Backoff.LINEAR, None)


def test_every_asset_carries_the_quarantine_check(defs):
    checks = {key.name for key in _asset(defs, "demo/shop/orders").check_keys}
    assert "no_quarantined_rows" in checks


def test_schedules_share_one_job_per_cron_timezone_and_partitions(defs):
    graph = defs.resolve_asset_graph()
    selections = sorted(
        sorted(key.to_user_string() for key in job.selection.resolve(graph)) for job in _ingest_jobs(defs)
    )
    assert selections == [
        ["acme/app_db/events"],
        ["demo/shop/customers", "demo/shop/orders"],
        ["demo/shop/products"],
    ]
    by_job = {s.job_name: s for s in defs.schedules}
    assert len(by_job) == 3
    paris = [s for s in defs.schedules if s.cron_schedule == "0 */6 * * *"]
    assert [s.execution_timezone for s in paris] == ["Europe/Paris"]


def test_an_object_can_opt_out_of_its_inherited_schedule(defs):
    job_selections = [job.selection.resolve(defs.resolve_asset_graph()) for job in _ingest_jobs(defs)]
    scheduled = set().union(*job_selections)
    assert dg.AssetKey(["acme", "app_db", "audit"]) not in scheduled
    assert dg.AssetKey(["acme", "app_db", "events"]) in scheduled


def test_a_schedule_tick_requests_the_latest_complete_partition(defs):
    schedule = next(s for s in defs.schedules if s.cron_schedule == "0 */6 * * *")
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC),
        repository_def=defs.get_repository_def(),
    )

    [request] = schedule.evaluate_tick(context).run_requests

    assert request.partition_key == "2026-03-01-05:00"


def test_secrets_reach_resources_as_their_references_not_their_values():
    _config, specs = parse_runner_config(RUNNER, "runner.yaml", {"DEMO_SHOP_URL": "sqlite:///shop.db"})
    resource = build_source_resources(specs)["demo__shop"]
    assert resource.url == "${DEMO_SHOP_URL}"


def test_each_source_connector_is_bound_to_its_own_assets_only(defs):
    assert "demo__shop" in _asset(defs, "demo/shop/orders").resource_defs
    assert "demo__shop" not in _asset(defs, "acme/app_db/events").resource_defs
    assert "demo__shop" not in defs.resources


def test_the_gdpr_erase_job_is_part_of_the_code_location(defs):
    assert defs.resolve_job_def("gdpr_erase").name == "gdpr_erase"


def test_the_whole_code_location_resolves_without_conflicts(defs):
    repository = defs.get_repository_def()
    jobs = {job.name for job in repository.get_all_jobs()}
    assert {"check_sources", "gdpr_erase"} <= jobs
