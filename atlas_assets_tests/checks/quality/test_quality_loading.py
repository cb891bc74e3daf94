"""What quality checks cost a process: nothing of Soda at definitions load; its import can be
started early in a run, in the background. Each test runs in a fresh interpreter.

(A hand-written `contract_file` is the exception: Soda judges it at load, so that a contract it
rejects fails `dagster definitions validate`; see test_quality_contract_file.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

RUNNER = """
defaults:
  partitions: {granularity: daily, start: "2026-01-01"}
tenants:
  demo:
    sources:
      shop:
        kind: sql
        url: "sqlite:///shop.db"
        objects:
          orders:
            cursor: created_at
            primary_key: [id]
            quality:
              required: [status]
"""


def run_python(tmp_path: Path, body: str) -> str:
    """Run `body` in a new interpreter with `specs` loaded from a runner.yaml in `tmp_path`."""
    runner = tmp_path / "runner.yaml"
    runner.write_text(RUNNER)
    script = "import sys\nfrom atlas_assets.config.loader import load_runner_config\n"
    script += f"_, specs = load_runner_config({str(runner)!r}, env={{}})\n" + textwrap.dedent(body)
    env = {**os.environ, "ATLAS_RUNNER_CONFIG": str(runner)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


def test_declaring_check_specs_imports_nothing_of_soda(tmp_path: Path) -> None:
    out = run_python(
        tmp_path,
        """
        from atlas_assets.checks.quality.check import quality_check_specs
        names = [s.name for s in quality_check_specs(specs[0])]
        assert "missing_status" in names, names
        print(sorted(m for m in sys.modules if m.startswith(("soda", "duckdb"))))
        """,
    )

    assert out == "[]"


def test_prepare_imports_soda_in_the_background(tmp_path: Path) -> None:
    out = run_python(
        tmp_path,
        """
        from atlas_assets.checks.quality.check import prepare_quality_checks
        thread = prepare_quality_checks(specs[0])
        thread.join(timeout=120)
        print("soda_core.contracts.contract_verification" in sys.modules, thread.name)
        """,
    )

    assert out == "True atlas-quality-import"


def test_settling_waits_for_the_background_import_to_finish(tmp_path: Path) -> None:
    out = run_python(
        tmp_path,
        """
        from atlas_assets.checks.quality.check import prepare_quality_checks, settle_quality_import
        thread = prepare_quality_checks(specs[0])
        settle_quality_import()
        print(thread.is_alive(), "soda_core.contracts.contract_verification" in sys.modules)
        """,
    )

    assert out == "False True"


def test_checks_started_while_soda_is_still_importing_evaluate_every_check(tmp_path: Path) -> None:
    # The factory calls prepare_quality_checks at the start of its op; a tiny extract can finish
    # before the background import has registered Soda's check types.
    out = run_python(
        tmp_path,
        """
        import pyarrow as pa
        from atlas_assets.checks.quality.check import prepare_quality_checks, run_quality_checks
        prepare_quality_checks(specs[0])
        rows = pa.table({"id": [1, 2], "status": ["a", None]})
        results = run_quality_checks(specs[0], rows, None)
        print(sorted((r.check_name, r.metadata["soda_outcome"].value) for r in results
                     if "soda_outcome" in r.metadata))
        """,
    )

    assert out == str(
        sorted(
            [
                ("duplicate_primary_key", "PASSED"),
                ("missing_id", "PASSED"),
                ("missing_status", "FAILED"),
                ("row_count", "PASSED"),
                ("schema", "FAILED"),
            ]
        )
    )
