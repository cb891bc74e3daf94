"""Ingest speed and memory: a generated SQL table materialized into Iceberg through Dagster.

Each measurement runs in a fresh process that reports its own peak RSS, so the numbers are
not polluted by each other. Memory must be bounded by batch size, not table size: the script
compares peak RSS at two table sizes. For reference it also measures what users write by hand,
`pandas.read_sql` then `pyiceberg Table.append`, on the smaller table.

    .venv/bin/python benchmarks/sql_ingest.py --rows 1000000 5000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from atlas_assets_tests.runner_yaml import write_runner

DAYS = 50


def make_table(path: Path, rows: int) -> None:
    """`orders` with `rows` rows of ten mixed-type columns over 50 days, generated inside SQLite."""
    engine = sa.create_engine(f"sqlite:///{path}")
    seconds_per_row = DAYS * 86400 / rows
    with engine.begin() as conn:
        conn.execute(sa.text("PRAGMA journal_mode=OFF"))
        conn.execute(
            sa.text(
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, status VARCHAR(16), "
                "amount_cents INTEGER, price FLOAT, currency VARCHAR(3), note TEXT, is_gift BOOLEAN, "
                "shipped_on DATE, created_at DATETIME)"
            )
        )
        conn.execute(
            sa.text(f"""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {rows})
            INSERT INTO orders
            SELECT i, i % 50000, CASE i % 4 WHEN 0 THEN 'paid' WHEN 1 THEN 'shipped' WHEN 2 THEN 'new'
                   ELSE 'refunded' END, (i * 7919) % 100000, ((i * 31) % 10000) / 100.0, 'EUR',
                   'order note number ' || i, i % 9 = 0,
                   date('2026-01-01', '+' || CAST(i * {seconds_per_row} / 86400 AS INTEGER) || ' days'),
                   datetime('2026-01-01', '+' || CAST(i * {seconds_per_row} AS INTEGER) || ' seconds')
            FROM n
        """)
        )


ATLAS_RUN = """
import json, resource, time, dagster as dg, warnings
warnings.simplefilter("ignore")
from atlas_assets.factory.definitions import definitions_from_file
defs = definitions_from_file({runner!r})
job = defs.resolve_implicit_global_asset_job_def()
start = time.perf_counter()
result = job.execute_in_process(
    asset_selection=[dg.AssetKey(["bench", "db", "orders"])],
    tags={{"dagster/asset_partition_range_start": "2026-01-01",
          "dagster/asset_partition_range_end": "2026-02-19"}},
    instance=dg.DagsterInstance.ephemeral(),
)
seconds = time.perf_counter() - start
[m] = [m for m in result.asset_materializations_for_node("bench__db__orders")][:1]
print(json.dumps({{"rows": m.metadata["dagster/row_count"].value, "seconds": seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

PANDAS_RUN = """
import json, resource, time, pandas as pd, pyarrow as pa, sqlalchemy as sa
from pyiceberg.catalog.sql import SqlCatalog
catalog = SqlCatalog("hand", uri="sqlite:///{root}/hand.db", warehouse="file://{root}/hand")
catalog.create_namespace_if_not_exists("bench")
start = time.perf_counter()
frame = pd.read_sql("SELECT * FROM orders", sa.create_engine("sqlite:///{db}"))
table = pa.Table.from_pandas(frame, preserve_index=False)
micros = [pa.field(f.name, pa.timestamp("us") if pa.types.is_timestamp(f.type) else f.type)
          for f in table.schema]
table = table.cast(pa.schema(micros))
catalog.create_table_if_not_exists("bench.orders", schema=table.schema).append(table)
seconds = time.perf_counter() - start
print(json.dumps({{"rows": len(frame), "seconds": seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def runner_yaml(root: Path, db: Path, checks: bool) -> Path:
    governance = "" if checks else ", quality: {enabled: false}, pii_scan: {on_undeclared: ignore}"
    return write_runner(
        root,
        f"""
        tenants:
          bench:
            sources:
              db:
                kind: sql
                url: "sqlite:///{db}"
                objects:
                  orders: {{cursor: created_at, primary_key: [id]{governance}}}
        """,
        name="runner.yaml" if checks else "runner_no_checks.yaml",
    )


def measure(script: str) -> dict[str, float]:
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-4000:])
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            root = Path(tmp) / f"r{rows}"
            root.mkdir()
            db = root / "source.db"
            started = time.perf_counter()
            make_table(db, rows)
            print(f"generated {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
            for checks, name in (
                (False, "Atlas ingest, checks off"),
                (True, "Atlas ingest + quality & PII checks"),
            ):
                atlas = measure(ATLAS_RUN.format(runner=str(runner_yaml(root, db, checks))))
                assert atlas["rows"] == rows, atlas
                results.append((name, rows, atlas))
            if not args.skip_pandas and rows == min(args.rows):
                results.append(
                    ("pandas.read_sql → pyiceberg append", rows, measure(PANDAS_RUN.format(root=root, db=db)))
                )
    print(f"\n{'contender':<40} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'peak RSS MB':>12}")
    for name, rows, r in results:
        print(
            f"{name:<40} {rows:>10,} {r['seconds']:>8.1f} "
            f"{rows / r['seconds']:>10,.0f} {r['peak_rss_mb']:>12.0f}"
        )
    for kind in ("checks off", "quality & PII"):
        ours = [r for name, _, r in results if name.startswith("Atlas") and kind in name]
        if len(ours) >= 2:
            ratio = ours[-1]["peak_rss_mb"] / ours[0]["peak_rss_mb"]
            print(f"peak RSS ratio, largest / smallest table ({kind}): {ratio:.2f}")
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
