"""Database ingest speed and memory: PostgreSQL and MariaDB tables into Arrow and Iceberg.

Generates a 12-column mixed-type table server-side (10M rows on PostgreSQL, 2M on MariaDB by
default) and measures, each contender in its own process (peak RSS from that child's rusage):

- the physical limit: `COPY (SELECT ...) TO STDOUT` into /dev/null (PostgreSQL), an
  unbuffered PyMySQL cursor drained (MariaDB);
- `pandas.read_sql` into Parquet (on a slice: it holds the whole frame in memory);
- our connector's `extract()` drained, and the PostgreSQL named-cursor path (COPY vs cursor);
- our asset materialized into Iceberg through Dagster, at two sizes to show memory is flat.

    .venv/bin/python benchmarks/db_ingest.py                         # full run
    .venv/bin/python benchmarks/db_ingest.py --pg-rows 1000000 --mysql-rows 200000   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
DEFAULT_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/test"


@dataclass(frozen=True)
class Measurement:
    """One contender's run: rows moved, wall seconds (inside the child) and the child's peak RSS."""

    database: str
    contender: str
    rows: int
    seconds: float
    peak_rss_mb: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def measure(database: str, contender: str, url: str, rows: int) -> Measurement:
    """Run one contender in a fresh Python process and collect its own peak RSS."""
    with tempfile.TemporaryDirectory(prefix="atlas-db-bench-") as workdir:
        log = Path(workdir) / "child.log"
        with log.open("wb") as stderr:
            child = subprocess.Popen(
                [sys.executable, __file__, "--child", contender, url, str(rows), workdir],
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
            assert child.stdout is not None
            output = child.stdout.read()
            # wait4 gives this child's own rusage: its peak RSS, not the maximum over all children.
            _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            sys.stderr.write(log.read_text()[-5000:])
            raise SystemExit(f"{database} {contender} failed (exit {child.returncode})")
    result = json.loads(output.decode().strip().splitlines()[-1])
    return Measurement(database, contender, result["rows"], result["seconds"], usage.ru_maxrss / 1024)


def run_child(contender: str, url: str, rows: int, workdir: str) -> None:
    from benchmarks.db_contenders import CONTENDERS

    started = time.perf_counter()
    moved = CONTENDERS[contender](url, rows, Path(workdir))
    print(json.dumps({"rows": moved, "seconds": time.perf_counter() - started}))


def report(measurements: list[Measurement]) -> str:
    """A Markdown table of every measurement, then the issue's targets checked against them."""
    lines = [
        "| database | contender | rows | seconds | rows/s | peak RSS (MB) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for m in measurements:
        lines.append(
            f"| {m.database} | {m.contender} | {m.rows:,} | {m.seconds:.1f} | {m.rows_per_second:,.0f} "
            f"| {m.peak_rss_mb:,.0f} |"
        )
    lines += ["", *_targets(measurements)]
    return "\n".join(lines)


def _targets(measurements: list[Measurement]) -> list[str]:
    """The issue's targets (≥ 50% of the limit, ≥ 5x pandas, ≤ 600 MB and flat) per database."""
    out = []
    for database, limit_name in (("postgres", "copy_devnull"), ("mysql", "cursor_drain")):
        by_name: dict[str, list[Measurement]] = {}
        for m in sorted((m for m in measurements if m.database == database), key=lambda m: m.rows):
            by_name.setdefault(m.contender, []).append(m)
        if limit_name not in by_name:
            continue
        limit = by_name[limit_name][-1].rows_per_second
        pandas = by_name["pandas_read_sql"][-1].rows_per_second if "pandas_read_sql" in by_name else None
        for name in ("ours_extract", "ours_dagster_iceberg", "ours_dagster_iceberg_no_checks"):
            runs = by_name.get(name)
            if not runs:
                continue
            largest = runs[-1]
            speed = f"{largest.rows_per_second / limit:.0%} of {limit_name}"
            if pandas:
                speed += f", {largest.rows_per_second / pandas:.1f}x pandas.read_sql"
            rss = ", ".join(f"{m.rows:,} rows {m.peak_rss_mb:,.0f} MB" for m in runs)
            out.append(f"- {database} {name} ({largest.rows:,} rows): {speed}; peak RSS {rss}")
        if "ours_named_cursor" in by_name and "ours_extract" in by_name:
            cursor = by_name["ours_named_cursor"][-1]
            copy = next(
                (m for m in by_name["ours_extract"] if m.rows == cursor.rows), by_name["ours_extract"][-1]
            )
            out.append(
                f"- {database}: extract via COPY = {copy.rows_per_second / cursor.rows_per_second:.1f}x "
                f"the named server-side cursor ({cursor.rows:,} rows)"
            )
    return ["Targets: ours ≥ 50% of the limit, ≥ 5x pandas.read_sql, peak RSS ≤ 600 MB and flat.", *out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--mysql-url", default=DEFAULT_MYSQL_URL)
    parser.add_argument("--pg-rows", type=int, default=10_000_000, help="PostgreSQL table size")
    parser.add_argument("--mysql-rows", type=int, default=2_000_000, help="MariaDB table size")
    parser.add_argument("--slice-rows", type=int, default=1_000_000, help="pandas, named cursor, small run")
    parser.add_argument("--only", choices=["postgres", "mysql"], help="benchmark one database")
    parser.add_argument("--contenders", help="comma-separated subset of contenders to run (default: all)")
    parser.add_argument(
        "--child", nargs=4, metavar=("CONTENDER", "URL", "ROWS", "WORKDIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        contender, url, rows, workdir = args.child
        run_child(contender, url, int(rows), workdir)
        return

    from benchmarks.db_tables import ensure_table

    plans = []
    if args.only in (None, "postgres"):
        full, part = args.pg_rows, min(args.slice_rows, args.pg_rows)
        plans.append(
            (
                "postgres",
                args.pg_url,
                full,
                [
                    ("copy_devnull", full),
                    ("ours_extract", full),
                    ("ours_extract", part),
                    ("ours_named_cursor", part),
                    ("pandas_read_sql", part),
                    ("ours_dagster_iceberg", part),
                    ("ours_dagster_iceberg", full),
                    ("ours_dagster_iceberg_no_checks", part),
                    ("ours_dagster_iceberg_no_checks", full),
                ],
            )
        )
    if args.only in (None, "mysql"):
        full, part = args.mysql_rows, min(args.slice_rows // 2, args.mysql_rows)
        plans.append(
            (
                "mysql",
                args.mysql_url,
                full,
                [
                    ("cursor_drain", full),
                    ("ours_extract", full),
                    ("pandas_read_sql", part),
                    ("ours_dagster_iceberg", part),
                    ("ours_dagster_iceberg", full),
                    ("ours_dagster_iceberg_no_checks", part),
                    ("ours_dagster_iceberg_no_checks", full),
                ],
            )
        )
    measurements = []
    for database, url, rows, runs in plans:
        started = time.perf_counter()
        ensure_table(url, rows)
        print(
            f"{database}: table of {rows:,} rows ready in {time.perf_counter() - started:.0f}s",
            file=sys.stderr,
        )
        chosen = set(args.contenders.split(",")) if args.contenders else None
        for contender, n in runs:
            if chosen is not None and contender not in chosen:
                continue
            measurements.append(measure(database, contender, url, n))
            m = measurements[-1]
            print(
                f"  {contender} {n:,}: {m.rows_per_second:,.0f} rows/s, {m.peak_rss_mb:,.0f} MB",
                file=sys.stderr,
            )
    print(report(measurements))


if __name__ == "__main__":
    main()
