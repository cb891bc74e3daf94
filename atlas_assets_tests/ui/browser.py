"""Debian's Chromium driven by Playwright, and the screenshots a failing browser test leaves.

Playwright's own browser download cannot work here, so the `chromium` Debian package is used
(`.ci/run` installs it when missing). Without it the browser tests skip, saying how to get it,
or fail under `ATLAS_REQUIRE_SERVICES=1`, as CI runs them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from atlas_assets_tests.dagster_processes import REPO
from atlas_assets_tests.services import services_required

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / ".atlas" / "test-artifacts" / "ui"
"""Where failing browser tests leave their screenshots (gitignored with the rest of .atlas/)."""


def require_chromium() -> Path:
    """The Chromium binary; skips (or fails under ATLAS_REQUIRE_SERVICES=1) when it is missing."""
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"{CHROMIUM} is missing: install Debian's browser with `apt-get install -y chromium`"
    if services_required():
        pytest.fail(f"ATLAS_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def screenshot_path(test_name: str) -> Path:
    """A file name for `test_name`'s screenshot, safe for any parametrization."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', test_name)}.png"
