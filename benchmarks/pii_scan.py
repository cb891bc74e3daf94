"""Benchmark (issue 4): PII scan and masking-on-write on a 1M-row partition, against its ingest time.

One daily partition of N customer orders (default 1,000,000; six text columns: email, name,
phone, status, free-text note, city) is ingested from a SQLite shop by the real Dagster
definitions (runner.yaml → asset → Iceberg IO manager → checks), each run in a fresh Python
process, as a Dagster run worker is, so one-time costs (spaCy import, model load) are counted.
Configurations, each run `--repeat` times (medians):

  A  email, phone declared `keep`, PII check off            the reference ingest
  B  email → hash, phone → mask, PII check off              B − A = masking on write
  C  as B, PII check on (warn), `preload_engine: false`     scanned in the run's process
  D  as C, `preload_engine: true` (the default)              Presidio loads in the forked worker
  E  nothing declared, PII check on, preloaded               every text column scanned: worst case

The PII share is the check's own `scan_seconds` over the rest of the same run (C and D), and
the run-time difference C − B. Masking is also timed alone: `masking_transform` over the rows in
50,000-row batches.

    .venv/bin/python benchmarks/pii_scan.py [--rows 1000000] [--repeat 3]

Target: PII scan ≤ 15% of the partition's ingest time.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa

from atlas_assets.config.loader import load_runner_config
from atlas_assets.masking.transform import masking_transform
from atlas_assets_tests.runner_yaml import write_runner

PARTITION = "2026-01-02"
SECRET = "benchmark-hmac-secret-0123456789"
FIRST = ("John", "Maria", "Wei", "Ahmed", "Emily", "Olga", "Pierre", "Fatima", "Kenji", "Lucas", "Ana")
LAST = ("Smith", "Garcia", "Chen", "Khan", "Johnson", "Petrova", "Dubois", "Haddad", "Tanaka", "Silva")
CITIES = ("Paris", "Lyon", "Berlin", "Madrid", "Boston", "Osaka", "Lagos", "Lima", "Oslo", "Porto")
NOTES = ("leave at the door", "gift wrap please", "call on arrival", "fragile", "", "deliver after 6pm")


def make_shop(path: Path, rows: int) -> None:
    """`orders` with `rows` rows over one day, generated inside SQLite."""

    def case(values: tuple[str, ...], expr: str) -> str:
        whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
        return f"CASE ({expr}) % {len(values)} {whens} END"

    first, last = case(FIRST, "i"), case(LAST, "i / 7")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, email TEXT, full_name TEXT, phone TEXT,"
            " status TEXT, note TEXT, city TEXT, amount REAL, created_at TIMESTAMP)"
        )
        conn.execute(
            f"""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {rows})
            INSERT INTO orders
            SELECT i, 'user' || i || '@example.com', {first} || ' ' || {last},
                   '+1 212 ' || (200 + i % 800) || ' ' || (1000 + (i * 7) % 9000),
                   {case(("paid", "refunded", "pending"), "i")},
                   CASE WHEN i % 10 = 0 THEN 'ask for ' || {first} ELSE {case(NOTES, "i / 3")} END,
                   {case(CITIES, "i / 11")}, (i * 37) % 50000 / 100.0,
                   datetime('2026-01-02', '+' || CAST(i * 86400.0 / {rows} AS INTEGER) || ' seconds')
            FROM n
            """
        )


def runner_for(root: Path, pii: str, on_undeclared: str, preload: bool = True) -> Path:
    return write_runner(
        root,
        f"""
            tenants:
              demo:
                privacy: {{secret: "{SECRET}"}}
                pii_scan: {{on_undeclared: {on_undeclared}, preload_engine: {str(preload).lower()}}}
                sources:
                  shop:
                    kind: sql
                    url: "sqlite:///{root}/shop.db"
                    objects:
                      orders: {{cursor: created_at, primary_key: [id], pii: {pii}}}
            """,
    )


RUN = """
import json, time, warnings
warnings.simplefilter("ignore")
import dagster as dg
from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
config, [spec] = load_runner_config({runner!r}, env={{}})
job = build_definitions(config, [spec]).resolve_implicit_global_asset_job_def()
started = time.perf_counter()
result = job.execute_in_process(asset_selection=[spec.asset_key], partition_key={partition!r},
                                instance=dg.DagsterInstance.ephemeral())
out = {{"run": time.perf_counter() - started}}
for e in result.get_asset_check_evaluations():
    if e.check_name == "pii_scan":
        m = e.metadata
        out.update(scan=m["scan_seconds"].value, sampled=m["sampled_rows"].value,
                   scanned=m["columns_scanned"].value, undeclared=m["undeclared_pii"].value)
[mat] = result.asset_materializations_for_node(spec.asset_key.to_python_identifier())
out["rows"] = mat.metadata["dagster/row_count"].value
print(json.dumps(out))
"""

CONFIGS = {
    "A": ("[email, phone]", "ignore", False),
    "B": ("{email: hash, phone: mask}", "ignore", False),
    "C": ("{email: hash, phone: mask}", "warn", False),
    "D": ("{email: hash, phone: mask}", "warn", True),
    "E": ("[]", "warn", True),
}


def fresh_run(root: Path, name: str) -> dict:
    """One ingestion run of configuration `name` in a new Python process."""
    pii, on_undeclared, preload = CONFIGS[name]
    runner = runner_for(root, pii, on_undeclared, preload)
    script = RUN.format(runner=str(runner), partition=PARTITION)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-4000:])
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process runs per configuration")
    args = parser.parse_args()
    median = statistics.median

    with tempfile.TemporaryDirectory(prefix="atlas-pii-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        make_shop(root / "shop.db", args.rows)
        print(f"source: {args.rows:,} rows in SQLite ({time.perf_counter() - started:.1f} s to generate)")

        runs = {name: [fresh_run(root, name) for _ in range(args.repeat)] for name in CONFIGS}
        run_s = {name: median(r["run"] for r in results) for name, results in runs.items()}
        print(f"rows per run: {runs['A'][0]['rows']:,}")
        for name, results in runs.items():
            pii, check, preload = CONFIGS[name]
            line = f"{name}  pii: {pii:<28} check {check:<6} preload {preload!s:<5}  run {run_s[name]:6.2f} s"
            line += f"  ({_list([r['run'] for r in results])})"
            if "scan" in results[0]:
                scan = median(r["scan"] for r in results)
                share = 100 * scan / (run_s[name] - scan)
                line += f"  scan {scan:.2f} s = {share:.1f}% of the rest of the run"
            print(line)
        _difference("masking on write", run_s["B"], run_s["A"])
        for name in ("C", "D"):
            _difference(f"PII check ({name})", run_s[name], run_s["B"])
        for name in ("D", "E"):
            last = runs[name][-1]
            print(f"{name}: {last['sampled']} rows sampled; scanned {last['scanned']}")
            print(f"   undeclared: {last['undeclared']}")
        _time_masking(root, args.repeat, run_s["A"])


def _difference(what: str, with_it: float, without: float) -> None:
    extra = with_it - without
    print(f"{what}, run-time difference: {extra:+.2f} s = {100 * extra / without:+.1f}%")


def _time_masking(root: Path, repeat: int, reference: float) -> None:
    """`masking_transform` alone over the source's clear email and phone values, batch by batch."""
    _, [spec] = load_runner_config(runner_for(root, "{email: hash, phone: mask}", "ignore"), env={})
    transform = masking_transform(spec)
    assert transform is not None
    with sqlite3.connect(root / "shop.db") as conn:
        emails, phones = zip(*conn.execute("SELECT email, phone FROM orders"), strict=True)
    batches = pa.table({"email": emails, "phone": phones}).to_batches(max_chunksize=50_000)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        for batch in batches:
            transform(batch)
        timings.append(time.perf_counter() - started)
    seconds = statistics.median(timings)
    print(
        f"masking_transform alone ({len(emails):,} rows in {len(batches)} batches): median {seconds:.2f} s "
        f"({_list(timings)}) = {100 * seconds / reference:.1f}% of A"
    )


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
