"""Benchmark (issue 4): quality checks on a 1M-row partition, against that partition's ingest time.

One daily partition of N orders (default 1,000,000) is ingested from a SQLite shop through the
real Dagster definitions (runner.yaml → asset → Iceberg IO manager). The rows it committed are
read back from Iceberg and the object's full quality contract (Soda Core + soda-duckdb) is run
over them. When the asset factory runs the quality checks itself, their duration is read from
the check results' `quality_seconds` metadata of the same run instead.

    .venv/bin/python benchmarks/quality_checks.py [--rows 1000000] [--repeat 5]

Target: quality checks ≤ 10% of ingest time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

import dagster as dg
import pyarrow as pa

from atlas_assets.checks.quality import quality_check_specs, run_quality_checks
from atlas_assets.config.loader import load_runner_config
from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.factory.definitions import build_definitions

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


def write_runner(root: Path) -> Path:
    runner = root / "runner.yaml"
    runner.write_text(
        textwrap.dedent(
            f"""
            defaults:
              partitions: {{granularity: daily, start: "2026-01-01"}}
              retry: {{max_retries: 0}}
            warehouse:
              catalog: {{type: sql, uri: "sqlite:///{root}/catalog.db"}}
              location: "{root}/warehouse"
            tenants:
              demo:
                sources:
                  shop:
                    kind: sql
                    url: "sqlite:///{root}/shop.db"
                    objects:
            """
        )
        + textwrap.indent(textwrap.dedent(OBJECTS), " " * 10)
    )
    return runner


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

        config, specs = load_runner_config(write_runner(root), env={})
        [spec] = specs
        defs = build_definitions(config, specs)
        job = defs.resolve_implicit_global_asset_job_def()
        started = time.perf_counter()
        result = job.execute_in_process(
            asset_selection=[spec.asset_key], partition_key=PARTITION, instance=dg.DagsterInstance.ephemeral()
        )
        ingest_seconds = time.perf_counter() - started
        in_run = _quality_seconds_in_run(result, {s.name for s in quality_check_specs(spec)})

        table = defs.resources["iceberg_catalog"].catalog.load_table((spec.namespace, spec.table_name))
        written: pa.Table = table.scan().to_arrow()
        print(
            f"ingest (Dagster run, one partition): {ingest_seconds:.2f} s, {written.num_rows:,} rows written"
        )

        started = time.perf_counter()
        results = run_quality_checks(spec, written, WINDOW)
        first = time.perf_counter() - started
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            run_quality_checks(spec, written, WINDOW)
            timings.append(time.perf_counter() - started)
        median = statistics.median(timings) if timings else first

        print(f"quality checks: {len(results)} checks; first run {first:.3f} s (includes importing Soda)")
        print(f"quality checks: median of {len(timings)} further runs {median:.3f} s")
        for r in results:
            failing = r.metadata.get("failing_rows")
            print(
                f"  {r.check_name:<24} {'pass' if r.passed else 'FAIL'}"
                + (f"  failing_rows={failing.value}" if failing else "")
            )
        if in_run is not None:
            ingest_only = ingest_seconds - in_run
            share = 100 * in_run / ingest_only
            print(f"quality checks inside the run: {in_run:.3f} s = {share:.1f}% of its ingest")
        else:
            print("(the asset factory does not run quality checks yet: ratio uses the separate timing)")
        first_pct, median_pct = 100 * first / ingest_seconds, 100 * median / ingest_seconds
        print(f"ratio to ingest: first {first_pct:.1f}%, median {median_pct:.1f}%")


def _quality_seconds_in_run(result: dg.ExecuteInProcessResult, names: set[str]) -> float | None:
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name in names and "quality_seconds" in evaluation.metadata:
            return float(evaluation.metadata["quality_seconds"].value)
    return None


if __name__ == "__main__":
    main()
