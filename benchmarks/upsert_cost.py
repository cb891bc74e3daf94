"""Benchmark (issue 13 §3): what an upsert of a few changed rows costs in a big table.

A `--rows`-row table (12 mixed-type columns, as `db_tables.py`) is written once through
`TableWriter`, the writer the IO manager runs for every materialization, with the IO manager's
default target file size. Then `--changed` changed rows (same keys, a newer `updated_at`, a new
`amount`) are upserted twice, each in a fresh process timed with `os.wait4` (wall, CPU
user+sys, peak RSS):

- `random`: keys drawn uniformly at random from the whole table (the hard case: every data file
  holds some of them);
- `clustered`: the table's most recent keys (the highest ids).

For each upsert the snapshot summary says what it did to the table's files: bytes added and
removed (`added-files-size`, `removed-files-size`, data and delete files), data files removed,
stored rows rewritten (records removed minus the rows the upsert itself replaced), position
deletes added; the write itself is also timed inside the process. The rows are then checked: the
changed keys read back with their new values and the row count is unchanged, through pyiceberg
and through DuckDB over pyiceberg's Arrow.

    .venv/bin/python benchmarks/upsert_cost.py [--rows 10000000] [--changed 10000] [--dir DIR]

Targets: bytes rewritten ≤ 5 % of the table's bytes and < 30 s wall, for each case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BATCH = 250_000
TARGET_FILE_BYTES = 128 * 1024 * 1024  # the IO manager's default target_file_mb
START = dt.datetime(2026, 1, 1)


def _catalog(directory: Path):
    from pyiceberg.catalog.sql import SqlCatalog

    return SqlCatalog("bench", uri=f"sqlite:///{directory}/catalog.db", warehouse=f"file://{directory}/wh")


def _plan(run_id: str):
    from atlas_assets.config.objects import WriteMode
    from atlas_assets.iceberg.write_plan import WritePlan
    from atlas_assets.ingest.lineage_columns import LineageValues

    return WritePlan(
        namespace="bench",
        table="orders",
        label="bench.orders",
        mode=WriteMode.UPSERT,
        lineage=LineageValues("bench", "db", run_id, dt.datetime.now(dt.UTC)),
        cursor="updated_at",
        primary_key=("id",),
        version=("updated_at",),
    )


def _rows(ids: np.ndarray, updated_offset_ms: int = 0) -> pa.RecordBatch:
    """The 12 columns of `db_tables.py` for `ids`, computed from the id (a later offset: a newer version)."""
    g = ids.astype(np.int64)
    statuses = np.array(["new", "paid", "shipped", "void"])
    created = np.datetime64("2026-01-01T00:00:00", "us") + g * np.timedelta64(1, "s")
    updated = np.datetime64("2026-01-01T00:00:00", "us") + (g + updated_offset_ms) * np.timedelta64(1, "ms")
    return pa.RecordBatch.from_pydict(
        {
            "id": pa.array(g),
            "customer_id": pa.array((g % 100_000).astype(np.int32)),
            "amount": pa.array(((g + updated_offset_ms) % 1_000_000) / 100.0),
            "price": pa.array(g * 1.5),
            "qty": pa.array((g % 100).astype(np.int16)),
            "is_paid": pa.array(g % 3 == 0),
            "status": pa.array(statuses[g % 4]),
            "note": pa.array(np.char.add("order note ", g.astype(str))),
            "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
            "updated_at": pa.array(updated, pa.timestamp("us")),
            "order_date": pa.array((g % 365).astype("timedelta64[D]") + np.datetime64("2026-01-01", "D")),
            "ref": pa.array(np.char.add("ref-", (g * 7919 % 10_000_019).astype(str))),
        }
    )


def build(directory: Path, rows: int) -> None:
    from atlas_assets.iceberg.table_writer import TableWriter

    catalog = _catalog(directory)
    if catalog.table_exists(("bench", "orders")):
        return
    writer = TableWriter(catalog, TARGET_FILE_BYTES)
    batches = (_rows(np.arange(start, min(start + BATCH, rows + 1))) for start in range(1, rows + 1, BATCH))
    writer.write(_plan("00000000-0000-0000-0000-000000000001"), lambda _after: batches)


def upsert(directory: Path, rows: int, changed: int, case: str, run_id: str) -> dict:
    """One upsert in this process; what its snapshot did, and whether the rows read back right."""
    import duckdb

    from atlas_assets.iceberg.table_writer import TableWriter

    if case == "random":
        ids = np.sort(np.random.default_rng(13).choice(np.arange(1, rows + 1), changed, replace=False))
    else:
        ids = np.arange(rows - changed + 1, rows + 1)
    catalog = _catalog(directory)
    offset = 10_000_000_000 + int(time.time())  # newer than any stored version, on every re-run
    change = _rows(ids, offset)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    report = TableWriter(catalog, TARGET_FILE_BYTES).write(_plan(run_id), lambda _after: [change])
    upsert_wall, upsert_cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    write_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before the read-back check
    table = catalog.load_table(("bench", "orders"))
    summary = table.current_snapshot().summary
    read = table.scan(selected_fields=("id", "amount")).to_arrow()
    duck = duckdb.connect()
    duck.register("stored", read)
    duck.register("changes", pa.Table.from_batches([change]).select(["id"]))
    by_duckdb = duck.execute(
        "select count(*), count(distinct id), "
        "sum(amount) filter (where id in (select id from changes)) from stored"
    ).fetchall()[0]
    expected = sum(change.column("amount").to_pylist())
    return {
        "summary": {k: summary.get(k) for k in summary.additional_properties},
        "rows_replaced": report.rows_replaced,
        "upsert_wall": upsert_wall,
        "upsert_cpu": upsert_cpu,
        "write_rss": write_rss,
        "rows_read": read.num_rows,
        "duckdb_count": by_duckdb[0],
        "duckdb_distinct": by_duckdb[1],
        "changed_sum_ok": abs((by_duckdb[2] or 0) - expected) < 1e-6 * max(1.0, abs(expected)),
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(args: list[str]) -> tuple[dict, float, float, int]:
    """Run this script in a child; its JSON result, wall seconds, CPU seconds, peak RSS (KiB)."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE)
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"child {args} failed ({status})")
    return json.loads(out or b"{}"), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def _table_bytes(directory: Path) -> tuple[int, int]:
    """Bytes and number of the current snapshot's data files."""
    table = _catalog(directory).load_table(("bench", "orders"))
    files = [task.file for task in table.scan().plan_files()]
    return sum(f.file_size_in_bytes for f in files), len(files)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--changed", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None, help="reuse a table built there")
    parser.add_argument("--child", choices=["build", "random", "clustered"], default=None)
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="atlas-upsert-"))
    if args.child == "build":
        build(directory, args.rows)
        return
    if args.child:
        run_id = f"00000000-0000-0000-0000-{int(time.time() * 1000) % 10**12:012d}"
        print(json.dumps(upsert(directory, args.rows, args.changed, args.child, run_id)))
        return
    common = ["--rows", str(args.rows), "--changed", str(args.changed), "--dir", str(directory)]
    print(f"table dir {directory}; load average {os.getloadavg()}")
    _, wall, cpu, rss = _timed(["--child", "build", *common])
    print(f"build {args.rows:,} rows: wall {wall:.1f} s, cpu {cpu:.1f} s, peak RSS {rss / 1024:.0f} MiB")
    for case in ("random", "clustered"):
        table_bytes, files = _table_bytes(directory)
        result, wall, cpu, rss = _timed(["--child", case, *common])
        s = result["summary"]
        added, removed = int(s.get("added-files-size", 0)), int(s.get("removed-files-size", 0))
        rewritten_rows = max(0, int(s.get("deleted-records", 0)) - result["rows_replaced"])
        print(
            f"{case}: {args.changed:,} changed rows into {files} files ({table_bytes / 1e6:.0f} MB): "
            f"the write {result['upsert_wall']:.1f} s wall, {result['upsert_cpu']:.1f} s cpu "
            f"(whole process with imports and the read-back check: {wall:.1f} s, {cpu:.1f} s cpu), "
            f"peak RSS {result['write_rss'] / 1024:.0f} MiB at the end of the write ({rss / 1024:.0f} MiB "
            "with the check); "
            f"bytes added {added / 1e6:.1f} MB ({100 * added / table_bytes:.2f} % of table), "
            f"removed {removed / 1e6:.1f} MB ({100 * removed / table_bytes:.2f} %); "
            f"data files removed {s.get('deleted-data-files', 0)}, stored rows rewritten {rewritten_rows:,}, "
            f"position deletes added {s.get('added-position-deletes', 0)}; "
            f"rows read {result['rows_read']:,} (duckdb {result['duckdb_count']:,}, "
            f"distinct {result['duckdb_distinct']:,}), changed values right: {result['changed_sum_ok']}"
        )
    print(f"load average after {os.getloadavg()}")


if __name__ == "__main__":
    main()
