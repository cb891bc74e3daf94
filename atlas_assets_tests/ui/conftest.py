"""One demo deployment (webserver + daemon) and one Chromium shared by a browser test module.

Browser test modules carry the `atlas_ui` xdist group (`--dist loadgroup` in pyproject), so
`pytest -n 2` runs a module on one worker and its deployment starts once. A failing test
leaves a screenshot of its page under `browser.ARTIFACTS`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from atlas_assets.demo.generate import SHOP_DB, generate_demo
from atlas_assets_tests.dagster_processes import REPO, DagsterProcess, Deployment, Webserver
from atlas_assets_tests.ui.browser import CHROMIUM_ARGS, require_chromium, screenshot_path

# Pages of a loaded machine (two cores, a run in the daemon) can take seconds to fill in.
UI_TIMEOUT_MS = 30_000
expect.set_options(timeout=UI_TIMEOUT_MS)

# A second tenant, so grouping by tenant has something to tell apart.
SECOND_TENANT = """
  acme:
    description: A second tenant reading the demo's CSV leads.
    sources:
      crm:
        kind: csv
        path: .atlas/demo/csv
        objects:
          leads: {glob: leads.csv, primary_key: [lead_id], write: replace, pii: [email]}
"""


@dataclass
class DemoUI:
    """The shipped runner.yaml (plus `acme`) over the generated demo data, served for real."""

    deployment: Deployment
    web: Webserver
    daemon: DagsterProcess

    @property
    def shop_db(self) -> Path:
        return self.deployment.root / ".atlas" / "demo" / SHOP_DB

    def url(self, path: str) -> str:
        return self.web.url + path


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless (skips or fails when it is missing, see `require_chromium`)."""
    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def demo_deployment(root: Path) -> Deployment:
    """The demo laid out like a user's project, its data generated as `python -m atlas_assets.demo` does."""
    runner_yaml = root / "runner.yaml"
    shutil.copy(REPO / "runner.yaml", runner_yaml)
    with runner_yaml.open("a") as config:
        config.write(SECOND_TENANT)
    generate_demo(root / ".atlas" / "demo")
    deployment = Deployment.create(root, runner_yaml)
    # A first visit opens a "Join the Dagster community" dialog over every page; this is the
    # file Dagster writes once someone has dismissed it.
    (deployment.home / ".nux").mkdir()
    (deployment.home / ".nux" / "nux.yaml").write_text("seen: 1\n")
    return deployment


@pytest.fixture(scope="module")
def open_page(chromium: Browser) -> Iterator[Page]:
    """A page for module fixtures that click through the UI before the tests look."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    yield page
    context.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser tab (its own cookies and storage) for one test."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep a screenshot of the page a browser test failed on, and say where it is."""
    report = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.failed and report.when == "call" and isinstance(page, Page):
        path = screenshot_path(item.name)
        page.screenshot(path=str(path), full_page=True)
        report.sections.append(("browser screenshot", f"the page when the test failed: {path}"))
    return report


@pytest.fixture(scope="module")
def demo_ui(tmp_path_factory: pytest.TempPathFactory, chromium: Browser) -> Iterator[DemoUI]:
    """`dagster-webserver` and `dagster-daemon` on a fresh demo deployment, for the whole module."""
    deployment = demo_deployment(tmp_path_factory.mktemp("demo_ui"))
    with deployment.webserver(timeout=120) as web, deployment.daemon() as daemon:
        yield DemoUI(deployment, web, daemon)
