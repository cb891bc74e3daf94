"""What a user sees when runner.yaml is wrong, through the real commands: the problems, first and
short, not buried in a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from atlas_assets_tests.checks.quality.test_quality_contract_file import write_runner

BIN = Path(sys.executable).parent
BROKEN_CONTRACT = """\
columns:
  - name: status
    checks:
      - invalid:
          valid_values: [paid, refunded
"""


def deployment(root: Path) -> Path:
    """runner.yaml whose one object names a contract file that does not parse (line 6)."""
    return write_runner(root, BROKEN_CONTRACT)


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ATLAS_RUNNER_CONFIG": str(root / "runner.yaml"), "DAGSTER_HOME": str(root)}
    (root / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=300)


def expected_report(root: Path) -> str:
    lines = (root / "runner.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "contract_file:" in text)
    return (
        f"{root / 'runner.yaml'}: 1 problem in the runner config\n"
        f"  line {line}: tenants.demo.sources.shop.objects.orders.quality.contract_file: contract file "
        f"{root / 'contracts' / 'orders.yml'}:6: invalid YAML: did not find expected ',' or ']' while "
        "parsing a flow sequence that starts on line 5"
    )


@pytest.mark.slow
def test_definitions_validate_fails_on_a_contract_file_that_does_not_parse(tmp_path: Path) -> None:
    deployment(tmp_path)

    done = run(tmp_path, str(BIN / "dagster"), "definitions", "validate", "-m", "atlas_assets.definitions")

    assert done.returncode == 1
    output = done.stdout + done.stderr
    report = expected_report(tmp_path)
    assert report in output
    # The problems come first; what follows is one frame of ours, not the loader's call chain.
    trace = output[output.index(report) + len(report) :]
    assert [line.strip() for line in trace.splitlines() if line.strip().startswith("File ")] == [
        f'File "{Path(__file__).parents[2] / "atlas_assets" / "definitions.py"}", line 12, in <module>'
    ]


@pytest.mark.slow
def test_asset_materialize_shows_only_the_problems(tmp_path: Path) -> None:
    deployment(tmp_path)

    done = run(
        tmp_path,
        str(BIN / "dagster"),
        *("asset", "materialize", "-m", "atlas_assets.definitions", "--select", "demo/shop/orders"),
        *("--partition", "2026-01-02"),
    )

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.endswith(
        expected_report(tmp_path) + "\n(the code location could not load; fix the problems above)\n"
    )


@pytest.mark.slow
def test_the_demo_prints_the_problems_and_exits_2(tmp_path: Path) -> None:
    deployment(tmp_path)

    done = run(tmp_path, sys.executable, "-m", "atlas_assets.demo")

    assert done.returncode == 2
    assert done.stderr == expected_report(tmp_path) + "\n"


@pytest.mark.slow
def test_the_demo_help_names_the_command_to_type(tmp_path: Path) -> None:
    done = run(tmp_path, sys.executable, "-m", "atlas_assets.demo", "--help")

    assert done.returncode == 0
    assert done.stdout.startswith("usage: python -m atlas_assets.demo [-h]")
    assert "--start START" in done.stdout
