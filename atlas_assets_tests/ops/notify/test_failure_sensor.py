"""The failure-notification sensor over a real instance: failed runs → one message per tenant and target.

Runs fail for real (a source table that does not exist) in a persistent DagsterInstance; the
sensor is evaluated tick after tick with its own cursor, as the daemon does.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import dagster as dg

from atlas_assets.config import naming
from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets_tests.harness import Shop, write_runner
from atlas_assets_tests.receivers import http_receiver

HOOK_TOKEN = "Bearer hook-token-7f3a9c"


def two_tenants(root: Path, acme_url: str, beta_url: str) -> dg.Definitions:
    """Tenants acme and beta over one shop; `refunds` does not exist, so materializing it fails."""
    shop = Shop(root / "shop.db")
    tenants = ""
    for tenant, url in (("acme", acme_url), ("beta", beta_url)):
        token = f"${{{tenant.upper()}_HOOK_TOKEN}}"
        tenants += f"""
          {tenant}:
            notify:
              - {{kind: webhook, url: "{url}", headers: {{Authorization: "{token}"}}}}
            sources:
              shop:
                kind: sql
                url: "{shop.url}"
                objects:
                  refunds: {{cursor: created_at}}
                  orders: {{cursor: created_at}}
        """
    body = "tenants:\n" + textwrap.indent(textwrap.dedent(tenants), "  ")
    env = {"ACME_HOOK_TOKEN": HOOK_TOKEN, "BETA_HOOK_TOKEN": HOOK_TOKEN}
    config, specs = load_runner_config(write_runner(root, body), env=env)
    return build_definitions(config, specs)


def fail(defs: dg.Definitions, instance: dg.DagsterInstance, *keys: str, **kwargs: str) -> str:
    """Materialize `keys` in one run that fails; its run id."""
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        asset_selection=[dg.AssetKey.from_user_string(key) for key in keys],
        instance=instance,
        raise_on_error=False,
        **kwargs,
    )
    assert not result.success
    return result.run_id


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None) -> tuple[str | None, str]:
    """One evaluation of the sensor, as the daemon makes it: its new cursor and skip message."""
    sensor = defs.resolve_sensor_def(naming.FAILURE_NOTIFICATION_SENSOR)
    data = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))
    return data.cursor, data.skip_message or ""


def test_a_failed_run_is_notified_exactly_once_however_many_ticks_follow(tmp_path, instance, receiver):
    defs = two_tenants(tmp_path, f"{receiver.url}/acme", f"{receiver.url}/beta")
    run_id = fail(defs, instance, "acme/shop/refunds", partition_key="2026-01-02")

    cursor = None
    for _ in range(3):
        cursor, _message = tick(defs, instance, cursor)

    [notice] = receiver.bodies("/acme")
    assert notice["tenant"] == "acme"
    assert notice["assets"] == ["acme/shop/refunds"]
    assert notice["partitions"] == ["2026-01-02"]
    assert notice["error"].endswith(
        "table 'refunds' does not exist in the source (check `table:` or the schema)"
    )
    assert notice["run_url"] == f"http://127.0.0.1:3000/runs/{run_id}"
    assert receiver.bodies("/beta") == []
    assert receiver.requests[0].headers["Authorization"] == HOOK_TOKEN


def test_a_run_spanning_two_tenants_tells_each_only_about_its_own_assets(tmp_path, instance, receiver):
    defs = two_tenants(tmp_path, f"{receiver.url}/acme", f"{receiver.url}/beta")
    fail(defs, instance, "acme/shop/refunds", "beta/shop/refunds", partition_key="2026-01-02")

    tick(defs, instance, None)

    [acme] = receiver.bodies("/acme")
    [beta] = receiver.bodies("/beta")
    assert (acme["tenant"], acme["assets"]) == ("acme", ["acme/shop/refunds"])
    assert (beta["tenant"], beta["assets"]) == ("beta", ["beta/shop/refunds"])
    assert acme["id"] != beta["id"]


def test_a_backfill_range_run_lists_every_partition_of_its_range(tmp_path, instance, receiver):
    defs = two_tenants(tmp_path, f"{receiver.url}/acme", f"{receiver.url}/beta")
    range_tags = {
        "dagster/asset_partition_range_start": "2026-01-02",
        "dagster/asset_partition_range_end": "2026-01-05",
    }
    fail(defs, instance, "acme/shop/refunds", tags=range_tags)

    tick(defs, instance, None)

    [notice] = receiver.bodies("/acme")
    assert notice["partitions"] == ["2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05"]


def test_a_down_target_skips_the_tick_and_gets_the_notification_once_it_is_back(tmp_path, instance):
    with http_receiver() as gone:
        down_url = gone.url
    # nothing listens on `down_url` now; the same port comes back below
    defs = two_tenants(tmp_path, f"{down_url}/acme", f"{down_url}/beta")
    fail(defs, instance, "acme/shop/refunds", partition_key="2026-01-02")

    cursor, message = tick(defs, instance, None)
    assert "1 owed, retried next tick (down: tenants.acme.notify.0)" in message
    assert down_url not in message
    assert down_url not in (cursor or "")

    port = int(down_url.rsplit(":", 1)[1])
    with http_receiver(port=port) as back:
        cursor, message = tick(defs, instance, cursor)
        tick(defs, instance, cursor)

    assert message.startswith("sent 1 notification(s)")
    assert [notice["assets"] for notice in back.bodies("/acme")] == [["acme/shop/refunds"]]


def test_no_sensor_is_defined_when_no_level_sets_notify(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    body = f"""
    tenants:
      acme:
        sources:
          shop: {{kind: sql, url: "{shop.url}", objects: {{orders: {{cursor: created_at}}}}}}
    """
    defs = build_definitions(*load_runner_config(write_runner(tmp_path, body)))

    assert [sensor.name for sensor in defs.sensors or ()] == ["openlineage"]
