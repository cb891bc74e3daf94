"""`python -m atlas_assets.demo` as a user runs it: one progress line per demo asset."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_prints_one_final_progress_line_per_asset(tmp_path: Path) -> None:
    shutil.copy(REPO / "runner.yaml", tmp_path / "runner.yaml")
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    env.pop("ATLAS_RUNNER_CONFIG", None)

    done = subprocess.run(
        [sys.executable, "-m", "atlas_assets.demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    finals = re.findall(r"^  (demo\.\w+\.\w+): extracted [\d,]+ rows, .* rows/s", done.stdout, re.MULTILINE)
    assert sorted(finals) == [
        "demo.files.leads",
        "demo.files.payments",
        "demo.shop.customers",
        "demo.shop.orders",
        "demo.shop.products",
    ]
