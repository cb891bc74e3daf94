"""What a person sees in the Dagster UI on the demo, clicking in a real Chromium.

One deployment serves the module: a partition is materialized and a three-day backfill launched
by clicking, as a user would, with the daemon running them; the tests then read the pages that
report on them. Each failing test leaves a screenshot (see `browser.ARTIFACTS`).
"""

from __future__ import annotations

import re
import sqlite3

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import TickStatus
from playwright.sync_api import Page, expect

from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets.lineage.definitions import SENSOR_NAME
from atlas_assets_tests.dagster_processes import BACKFILL_DONE, poll
from atlas_assets_tests.ui.browser import screenshot_path
from atlas_assets_tests.ui.conftest import DemoUI

# One worker runs the whole module, so its deployment starts once (see conftest).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("atlas_ui")]

ORDERS = "/assets/demo/shop/orders"
ORDERS_KEY = dg.AssetKey(["demo", "shop", "orders"])
BACKFILL_DAYS = ["2026-01-05", "2026-01-06", "2026-01-07"]
DIRTY_DAY = "2026-01-06"
SINGLE_DAY = "2026-01-02"


def _open_materialize_dialog(page: Page, ui: DemoUI, partitions: str):
    """The asset's Materialize dialog with `partitions` (a key or `[first...last]`) typed in."""
    page.goto(ui.url(ORDERS))
    page.get_by_role("button", name="Materialize…").click()
    dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    # The dialog offers the last 90 days; the demo's January is older.
    dialog.get_by_text("Show all partitions").click()
    selection = dialog.locator("input").first
    selection.fill(partitions)
    selection.press("Enter")
    return dialog


def _finished_run(ui: DemoUI, filters: dg.RunsFilter, timeout: float) -> list[dg.DagsterRun]:
    def finished() -> list[dg.DagsterRun] | None:
        with ui.deployment.instance() as instance:
            runs = instance.get_runs(filters=filters)
        return runs if runs and all(run.is_finished for run in runs) else None

    return poll(finished, timeout, f"runs matching {filters}", interval=2, watch=[ui.web.process, ui.daemon])


@pytest.fixture(scope="module")
def three_day_backfill(demo_ui: DemoUI, open_page: Page) -> str:
    """A backfill of `BACKFILL_DAYS` launched by clicking, run by the daemon; its id.

    Before it, every order of `DIRTY_DAY` gets an email address as its status: undeclared PII
    on that day only, so exactly that day's `pii_scan` fails.
    """
    with sqlite3.connect(demo_ui.shop_db) as shop:
        shop.execute(
            "UPDATE orders SET status = 'buyer' || id || '@example.com' "
            "WHERE created_at >= ? AND created_at < '2026-01-07'",
            (DIRTY_DAY,),
        )
    try:
        dialog = _open_materialize_dialog(open_page, demo_ui, f"[{BACKFILL_DAYS[0]}...{BACKFILL_DAYS[-1]}]")
        expect(dialog.get_by_text("3 partitions")).to_be_visible()
        dialog.get_by_role("button", name="Launch backfill").click()
        toast = open_page.get_by_text(re.compile(r"Created backfill \w+"))
        backfill_id = toast.inner_text().split()[-1]
        status = poll(
            lambda: (s := demo_ui.web.backfill_status(backfill_id)) in BACKFILL_DONE and s,
            timeout=240,
            what=f"backfill {backfill_id} to finish",
            interval=2,
            watch=[demo_ui.web.process, demo_ui.daemon],
        )
    except Exception as exc:
        path = screenshot_path("three_day_backfill")
        open_page.screenshot(path=str(path), full_page=True)
        exc.add_note(f"browser screenshot: {path}")
        raise
    assert status == "COMPLETED_SUCCESS"
    return backfill_id


def test_the_catalog_groups_each_tenants_assets_under_the_tenant(page: Page, demo_ui: DemoUI):
    groups = {}
    for tenant in ("demo", "acme"):
        page.goto(demo_ui.url(f"/locations/atlas_assets/asset-groups/{tenant}/list"))
        links = page.locator("a[href^='/assets/']").filter(has_text=re.compile(r"\w"))
        expect(links.first).to_be_visible()
        groups[tenant] = sorted({href for href in links.evaluate_all("ls => ls.map(l => l.pathname)")})

    assert groups == {
        "demo": [
            "/assets/demo/files/leads",
            "/assets/demo/files/payments",
            "/assets/demo/shop/customers",
            "/assets/demo/shop/orders",
            "/assets/demo/shop/products",
        ],
        "acme": ["/assets/acme/crm/leads"],
    }


def test_clicking_materialize_on_one_partition_runs_that_day_alone(page: Page, demo_ui: DemoUI):
    dialog = _open_materialize_dialog(page, demo_ui, SINGLE_DAY)
    dialog.get_by_role("button", name="Launch 1 run").click()
    toast = page.get_by_text(re.compile(r"Launched run \w+"))
    run_prefix = toast.inner_text().split()[-1]

    (run,) = _finished_run(demo_ui, dg.RunsFilter(tags={"dagster/partition": SINGLE_DAY}), timeout=180)

    assert run.run_id.startswith(run_prefix)
    assert run.status == dg.DagsterRunStatus.SUCCESS
    page.goto(demo_ui.url(f"{ORDERS}?view=partitions&partition={SINGLE_DAY}"))
    expect(page.get_by_text("Materialized", exact=True).last).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="atlas/window")).to_contain_text(
        "[2026-01-02T00:00:00+00:00, 2026-01-03T00:00:00+00:00)"
    )


def test_a_three_day_backfill_clicked_in_the_ui_is_exactly_one_run(
    page: Page, demo_ui: DemoUI, three_day_backfill: str
):
    page.goto(demo_ui.url(f"/runs/b/{three_day_backfill}?tab=runs"))

    expect(page.get_by_text(f"{BACKFILL_DAYS[0]}...{BACKFILL_DAYS[-1]}")).to_be_visible()
    run_ids = page.locator("a[href^='/runs/']").filter(has_text=re.compile(r"^[0-9a-f]{8}$"))
    expect(run_ids).to_have_count(1)
    expect(page.get_by_text("Success", exact=True)).to_be_visible()
    with demo_ui.deployment.instance() as instance:
        (run,) = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": three_day_backfill}))
    assert run.run_id.startswith(run_ids.inner_text())


def _check_names(ui: DemoUI) -> list[str]:
    config, specs = load_runner_config(ui.deployment.runner_yaml)
    graph = build_definitions(config, specs).resolve_asset_graph()
    return sorted(key.name for key in graph.asset_check_keys if key.asset_key == ORDERS_KEY)


def _partition_counts(page: Page, ui: DemoUI, check: str) -> dict[str, int]:
    """The check's Partitions tab over the backfill's days: how many partitions read each status."""
    page.goto(ui.url(f"{ORDERS}?view=checks&checkDetail={check}"))
    page.locator("button[role=tab]#partitions").click()
    selection = page.locator("input[value^='[']").first
    selection.fill(f"[{BACKFILL_DAYS[0]}...{BACKFILL_DAYS[-1]}]")
    selection.press("Enter")
    expect(page.get_by_text("3 Partitions Selected")).to_be_visible()
    counts = {}
    for status in ("Execution Failed", "Failed", "In Progress", "Missing", "Skipped", "Passed"):
        label = page.get_by_text(re.compile(rf"^{status}\s*\(\d+\)$"))
        counts[status] = int(re.search(r"\((\d+)\)", label.inner_text()).group(1))
    return {status: count for status, count in counts.items() if count}


def test_after_the_backfill_each_check_reads_passed_or_failed_per_day_and_never_skipped(
    page: Page, demo_ui: DemoUI, three_day_backfill: str
):
    checks = _check_names(demo_ui)

    seen = {check: _partition_counts(page, demo_ui, check) for check in checks}

    expected = {check: {"Passed": 3} for check in checks}
    expected["pii_scan"] = {"Failed": 1, "Passed": 2}  # only DIRTY_DAY holds emails
    assert seen == expected


def test_a_backfilled_days_row_count_in_the_ui_is_that_days_own(
    page: Page, demo_ui: DemoUI, three_day_backfill: str
):
    with sqlite3.connect(demo_ui.shop_db) as shop:
        (orders_that_day,) = shop.execute(
            "SELECT count(*) FROM orders WHERE created_at >= '2026-01-06' AND created_at < '2026-01-07'"
        ).fetchone()

    page.goto(demo_ui.url(f"{ORDERS}?view=partitions&partition={DIRTY_DAY}"))

    row_count = page.get_by_role("row").filter(has_text="dagster/row_count")
    expect(row_count).to_contain_text(str(orders_that_day))
    assert row_count.inner_text().split() == ["dagster/row_count", str(orders_that_day)]


def test_the_automation_page_shows_no_failing_sensor(page: Page, demo_ui: DemoUI, three_day_backfill: str):
    page.goto(demo_ui.url("/automation"))
    sensor = page.locator(f"a[href$='/sensors/{SENSOR_NAME}']")
    expect(sensor).to_contain_text("Standard sensor")

    sensor.click()

    # Every tick the daemon made since the runs is listed; a failed one would read "Failure".
    expect(page.get_by_text("Latest tick")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d+ runs? requested$")).first).to_be_visible()
    expect(page.get_by_text("Failure", exact=True)).to_have_count(0)
    with demo_ui.deployment.instance() as instance:
        (state,) = [s for s in instance.all_instigator_state() if s.name == SENSOR_NAME]
        statuses = {tick.status for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id)}
    assert statuses, "the daemon never ticked the sensor"
    assert TickStatus.FAILURE not in statuses
