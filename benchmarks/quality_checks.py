"""Benchmark (issue 4): quality checks on a 1M-row partition, as a share of that partition's ingest.

One daily partition of N orders (default 1,000,000) is ingested from a SQLite shop through the
real Dagster definitions (runner.yaml → asset factory → Iceberg IO manager), in one run. In that
run the asset's op runs the object's quality contract (Soda Core + soda-duckdb) over the rows it
committed. Measured, from the same run:

- ingest: from the step's start to the IO manager's handled output (extract, validate, commit);
- quality: the check results' `quality_seconds` (the whole Soda verification, including waiting
  for Soda's import that the op started in the background).

Then the same contract is timed again, warm, over the committed rows read back from Iceberg.

    .venv/bin/python benchmarks/quality_checks.py [--rows 1000000] [--repeat 5]

Target: quality ≤ 10% of ingest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster as dg
import pyarrow as pa

from atlas_assets.checks.quality.check import quality_check_specs, run_quality_checks
from atlas_assets.config.loader import load_runner_config
from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.factory.definitions import build_definitions
from atlas_assets_tests.runner_yaml import write_runner

DAY = dt.datetime(2026, 1, 2)
PARTITION = "2026-01-02"
WINDOW = TimeWindow(DAY.replace(tzinfo=dt.UTC), (DAY + dt.timedelta(days=1)).replace(tzinfo=dt.UTC))
OBJECTS = """
orders:
  cursor: created_at
  primary_key: [id]
  quality:
    required: [email, status]
    columns:
      email: {format: email}
      status: {allowed_values: [paid, refunded, pending]}
      amount: {min: 0, max: 100000}
    row_count: {min: 1000}
"""


def make_shop(path: Path, rows: int) -> None:
    """A SQLite shop with `rows` orders spread over one day (about 0.1% of emails malformed)."""
    rng = random.Random(42)
    statuses = ("paid", "refunded", "pending")
    step = 86_400 / rows
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, email TEXT, status TEXT, amount REAL,"
            " created_at TIMESTAMP)"
        )
        conn.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
            (
                (
                    i,
                    f"user{i}@example.com" if i % 1000 else f"user{i}-at-example.com",
                    statuses[i % 3],
                    round(rng.uniform(0, 500), 2),
                    (DAY + dt.timedelta(seconds=i * step)).isoformat(sep=" ", timespec="microseconds"),
                )
                for i in range(rows)
            ),
        )


def runner_for(root: Path) -> Path:
    return write_runner(
        root,
        textwrap.dedent(
            f"""
            tenants:
              demo:
                sources:
                  shop:
                    kind: sql
                    url: "sqlite:///{root}/shop.db"
                    objects:
            """
        )
        + textwrap.indent(textwrap.dedent(OBJECTS), " " * 10),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed quality runs after the first")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="atlas-quality-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        make_shop(root / "shop.db", args.rows)
        print(f"source: {args.rows:,} rows in SQLite ({time.perf_counter() - started:.1f} s to generate)")

        config, specs = load_runner_config(runner_for(root), env={})
        [spec] = specs
        defs = build_definitions(config, specs)
        job = defs.resolve_implicit_global_asset_job_def()
        instance = dg.DagsterInstance.ephemeral()
        result = job.execute_in_process(
            asset_selection=[spec.asset_key], partition_key=PARTITION, instance=instance
        )
        phases = _step_phases(instance, result.run_id)
        in_run = _quality_seconds_in_run(result, {s.name for s in quality_check_specs(spec)})
        ingest = phases["ingest"]
        print(f"ingest (step start to handled output: extract, validate, commit): {ingest:.2f} s")
        print(f"every check after the commit (read back, quarantine, quality, PII): {phases['checks']:.2f} s")
        if in_run is not None:
            print(f"QUALITY CHECKS IN THE RUN: {in_run:.3f} s = {100 * in_run / ingest:.1f}% of ingest")
        else:
            print("the asset factory did not run the quality checks in this run")

        # The same contract again over the committed rows, outside the run: Soda already imported.
        table = defs.resources["iceberg_catalog"].catalog.load_table((spec.namespace, spec.table_name))
        written: pa.Table = table.scan().to_arrow()
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            results = run_quality_checks(spec, written, WINDOW)
            timings.append(time.perf_counter() - started)
        if timings:
            median = statistics.median(timings)
            print(
                f"quality checks, warm, median of {len(timings)} over {written.num_rows:,} rows: "
                f"{median:.3f} s = {100 * median / ingest:.1f}% of ingest"
            )
            for r in results:
                failing = r.metadata.get("failing_rows")
                detail = f"  failing_rows={failing.value}" if failing else ""
                print(f"  {r.check_name:<24} {'pass' if r.passed else 'FAIL'}{detail}")


def _step_phases(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Seconds from step start to the asset output being written, and from there to step end."""
    times: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        kind = event.event_type_value
        if kind in ("STEP_START", "STEP_SUCCESS") or (kind == "HANDLED_OUTPUT" and "handled" not in times):
            times.setdefault("handled" if kind == "HANDLED_OUTPUT" else kind, entry.timestamp)
    return {
        "ingest": times["handled"] - times["STEP_START"],
        "checks": times["STEP_SUCCESS"] - times["handled"],
    }


def _quality_seconds_in_run(result: dg.ExecuteInProcessResult, names: set[str]) -> float | None:
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name in names and "quality_seconds" in evaluation.metadata:
            return float(evaluation.metadata["quality_seconds"].value)
    return None


if __name__ == "__main__":
    main()
