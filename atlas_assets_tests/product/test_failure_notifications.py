"""Failure notifications through the real `dagster-daemon`: a run fails in the CLI, the daemon's
sensor tells the tenant's webhook, Slack and email targets, once each, and a down target fails
nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import TickStatus

from atlas_assets.config import naming
from atlas_assets_tests.dagster_processes import BIN, Deployment, poll, run_errors
from atlas_assets_tests.harness import Shop, write_runner
from atlas_assets_tests.receivers import http_receiver, smtp_server

HOOK_TOKEN = "hook-token-5d1e0b77"
SMTP_PASSWORD = "smtp-password-93c1f0aa"
TICK_SECONDS = 2


def deployment(root: Path, notify: list[dict[str, object]]) -> Deployment:
    """Tenant acme with a `refunds` object whose source table does not exist, and `orders` that works."""
    shop = Shop(root / "shop.db")
    shop.add_orders(days=3, per_day=2)
    body = f"""
    tenants:
      acme:
        notify: {json.dumps(notify)}
        sources:
          shop:
            kind: sql
            url: "{shop.url}"
            objects:
              refunds: {{cursor: created_at}}
              orders: {{cursor: created_at}}
    """
    return Deployment.create(root, write_runner(root, body))


_MATERIALIZE = (str(BIN / "dagster"), "asset", "materialize", "-m", "atlas_assets.definitions")


def materialize(deploy: Deployment, key: str) -> subprocess.CompletedProcess[str]:
    """`dagster asset materialize` of the 2026-01-02 partition, as a user runs it from CI."""
    return subprocess.run(
        [*_MATERIALIZE, "--select", key, "--partition", "2026-01-02"],
        cwd=deploy.root,
        env=deploy.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def sensor_ticks(instance: dg.DagsterInstance) -> list:
    states = [
        state
        for state in instance.all_instigator_state()
        if state.instigator_name == naming.FAILURE_NOTIFICATION_SENSOR
    ]
    return [
        tick for state in states for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id)
    ]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_HOOK_TOKEN", HOOK_TOKEN)
    monkeypatch.setenv("ACME_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("ATLAS_NOTIFY_INTERVAL", str(TICK_SECONDS))
    monkeypatch.setenv("ATLAS_UI_URL", "http://dagster.acme.example")


@pytest.mark.slow
def test_a_failed_run_reaches_each_target_exactly_once_without_a_secret(tmp_path):
    with http_receiver() as web, smtp_server(password=SMTP_PASSWORD) as smtp:
        email = {
            "kind": "email",
            "host": smtp.host,
            "port": smtp.port,
            "security": "none",
            "username": smtp.username,
            "password": "${ACME_SMTP_PASSWORD}",
            "from": "atlas@acme.example",
            "to": ["oncall@acme.example"],
        }
        hook = {"kind": "webhook", "url": f"{web.url}/hook", "headers": {"X-Token": "${ACME_HOOK_TOKEN}"}}
        slack = {"kind": "slack", "url": f"{web.url}/services/T0/B0/x"}
        deploy = deployment(tmp_path, [hook, slack, email])
        with deploy.daemon() as daemon, deploy.instance() as instance:
            failed = materialize(deploy, "acme/shop/refunds")
            assert failed.returncode != 0
            assert "does not exist" in failed.stdout + failed.stderr, failed.stderr[-600:]
            [run] = instance.get_runs()
            poll(lambda: smtp.messages and len(web.requests) >= 2, 150, "the notifications", watch=[daemon])
            # Later ticks see the same failure in the event log: they must not tell it again.
            seen = len(sensor_ticks(instance))
            poll(lambda: len(sensor_ticks(instance)) >= seen + 2, 90, "two more ticks", watch=[daemon])

    [hook] = web.bodies("/hook")
    [slack] = web.bodies("/services/T0/B0/x")
    [email] = smtp.messages
    assert hook["tenant"] == "acme"
    assert hook["assets"] == ["acme/shop/refunds"]
    assert hook["partitions"] == ["2026-01-02"]
    assert "table 'refunds' does not exist" in hook["error"]
    assert hook["run_url"] == f"http://dagster.acme.example/runs/{run.run_id}"
    assert f"<http://dagster.acme.example/runs/{run.run_id}|View the run in Dagster>" in slack["text"]
    assert email["Subject"] == "[atlas] acme: run failed: acme/shop/refunds"
    assert f"Run: http://dagster.acme.example/runs/{run.run_id}" in email.get_payload()
    delivered = b"".join([*(r.body for r in web.requests), *smtp.raw]).decode()
    assert HOOK_TOKEN not in delivered
    assert SMTP_PASSWORD not in delivered
    assert web.requests[0].headers["X-Token"] == HOOK_TOKEN


@pytest.mark.slow
def test_a_down_target_fails_no_sensor_tick_and_leaves_the_run_its_own_failure(tmp_path):
    with http_receiver() as gone:
        down = gone.url
    # nothing listens on `down` any more
    deploy = deployment(tmp_path, [{"kind": "webhook", "url": f"{down}/hook"}])

    with deploy.daemon() as daemon, deploy.instance() as instance:
        assert materialize(deploy, "acme/shop/refunds").returncode != 0
        poll(lambda: _owed(sensor_ticks(instance)), 150, "a tick that owes the notification", watch=[daemon])
        ticks = sensor_ticks(instance)
        [run] = instance.get_runs()
        errors = run_errors(instance, run.run_id)

    assert {t.status for t in ticks} <= {TickStatus.SKIPPED, TickStatus.STARTED}
    assert all(down not in (t.skip_reason or "") for t in ticks)
    assert "table 'refunds' does not exist" in errors


def _owed(ticks: list) -> bool:
    return any(
        "1 owed, retried next tick (down: tenants.acme.notify.0)" in (t.skip_reason or "") for t in ticks
    )
