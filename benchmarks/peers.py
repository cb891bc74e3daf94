"""Benchmark (issue 13 §4): Atlas against its peers on the same tables, in one invocation.

The PostgreSQL table `atlas_bench_orders` (12 columns, `db_tables.py`) read as its first N rows
for each `--pg-rows` size, and the MariaDB table of the same shape (`--mysql-rows`), go through:

- Atlas, step: the asset materialized into Iceberg with `execute_in_process` (`write: replace`),
  checks off and on; "work" is the materialization alone, without interpreter start-up.
- Atlas, CLI: a whole `dagster asset materialize -m atlas_assets.definitions` process in a
  deployment laid out as a user's (run_cost.py's), checks off and on.
- dlt `sql_database` (`sql_table`), connectorx and pyarrow backends, into the filesystem
  destination as Parquet and as Iceberg (`peers_dlt.py`, in dlt's own virtualenv).
- Sling (the PyPI `sling-linux-amd64` binary, run_cost.py's install) to a Parquet file.
- pandas: `read_sql` then `to_parquet` (db_contenders.py's).
- The drain: PostgreSQL `COPY ... TO STDOUT` by psql, MariaDB `mysql --quick`, into /dev/null.

Peers are installed by this script from PyPI into `--cache` (default ~/.cache/atlas-benchmarks),
never into the project's environment. Every contender is its own process: wall seconds (process
start to exit), CPU seconds (user + sys) and peak RSS come from `os.wait4`; Python children also
report their own work seconds. Rounds are interleaved (every contender once per round, the order
rotating) so machine load hits all alike; figures are medians over rounds.

    .venv/bin/python benchmarks/peers.py [--rounds 2] [--pg-rows 10000 1000000] [--mysql-rows 500000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from atlas_assets_tests.dagster_processes import Deployment
from benchmarks.db_contenders import runner_for, table_slice
from benchmarks.db_tables import TABLE, ensure_table
from benchmarks.run_cost import install_sling

PG_URL = os.environ.get("ATLAS_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("ATLAS_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
DLT_PACKAGES = [
    "dlt[sql_database,filesystem,pyiceberg,parquet]==1.31.0",
    "connectorx==0.4.6",
    "pymysql>=1.1,<2",
    "psycopg2-binary>=2.9,<3",
]
SELECTION = "bench/db/orders"


@dataclass(frozen=True)
class Measurement:
    wall: float
    cpu: float
    rss_mb: float
    work: float | None  # seconds the child measured around its work, when it reports them


@dataclass
class Contender:
    database: str
    rows: int
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    stdout_to_null: bool = False
    runs: list[Measurement] = field(default_factory=list)
    failure: str | None = None

    def run(self) -> Measurement | None:
        """Run the command once to its end (output to a file, so `os.wait4` reaps it); record it."""
        with tempfile.TemporaryFile() as log:
            started = time.perf_counter()
            process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL if self.stdout_to_null else log,
                stderr=log,
                cwd=self.cwd,
                env={**os.environ, **self.env},
            )
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
            log.seek(0)
            text = log.read().decode(errors="replace")
        if process.returncode != 0:
            # A peer that fails is a result too: keep its reason, go on with the others.
            reasons = [line.strip() for line in text.splitlines() if "Error" in line or "Invalid" in line]
            self.failure = (reasons or [f"exit {process.returncode}"])[-1][:160]
            return None
        work = None
        for line in text.splitlines():
            if line.startswith("ROWS "):
                _, moved, _, seconds = line.split()
                work = float(seconds)
                if int(moved) != self.rows:
                    raise RuntimeError(f"{self.name} moved {moved} rows, expected {self.rows}")
        measured = Measurement(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, work)
        self.runs.append(measured)
        return measured


def install_dlt(cache: Path) -> Path:
    """dlt with its SQL, filesystem and Iceberg extras, in `cache`/dlt-venv; its python."""
    venv = cache / "dlt-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = [str(python), "-c", "import dlt, connectorx, pyiceberg, pymysql, psycopg2"]
    if subprocess.run(probe, capture_output=True, check=False).returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *DLT_PACKAGES], check=True)
    return python


def ensure_rows(url: str, rows: int) -> None:
    """The benchmark table with at least `rows` rows (each size reads a slice `id <= N` of it)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            present = sa.inspect(conn).has_table(TABLE)
            count = conn.execute(sa.text(f"SELECT count(*) FROM {TABLE}")).scalar() if present else 0
    finally:
        engine.dispose()
    if (count or 0) < rows:
        ensure_table(url, rows)


def _cx_url(url: str) -> str:
    parsed = sa.engine.make_url(url)
    scheme = "postgresql" if parsed.get_backend_name() == "postgresql" else "mysql"
    return parsed.set(drivername=scheme).render_as_string(hide_password=False)


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True)
    return folder


def contenders_for(
    database: str, url: str, rows: int, work: Path, dlt_python: Path, sling: Path | None
) -> list[Contender]:
    here = [sys.executable, str(Path(__file__).resolve())]
    tag = f"{database}-{rows}"
    found: list[Contender] = []
    for checks in (False, True):
        label = "on" if checks else "off"
        step_dir = work / f"{tag}-step-{label}"
        step_dir.mkdir(parents=True)
        found.append(
            Contender(
                database,
                rows,
                f"atlas step, checks {label}",
                [*here, "--child-step", url, str(rows), str(step_dir), label],
            )
        )
        deployment = Deployment.create(
            work / f"{tag}-cli-{label}",
            runner_for(_made(work / f"{tag}-cli-{label}"), url, rows, checks),
            {"ATLAS_LINEAGE_TRANSPORT": "none"},
        )
        dagster = str(Path(sys.executable).with_name("dagster"))
        found.append(
            Contender(
                database,
                rows,
                f"atlas CLI run, checks {label}",
                [dagster, "asset", "materialize", "-m", "atlas_assets.definitions", "--select", SELECTION],
                env=deployment.env,
                cwd=deployment.root,
            )
        )
    for backend in ("connectorx", "pyarrow"):
        for file_format in ("parquet", "iceberg"):
            out = work / f"{tag}-dlt-{backend}-{file_format}"
            out.mkdir(parents=True)
            env = {"DATA_WRITER__ARROW_CONCAT_PROMOTE_OPTIONS": "default", "RUNTIME__LOG_LEVEL": "WARNING"}
            found.append(
                Contender(
                    database,
                    rows,
                    f"dlt {backend} → {file_format}",
                    [
                        str(dlt_python),
                        str(Path(__file__).with_name("peers_dlt.py")),
                        url,
                        _cx_url(url),
                        TABLE,
                        str(rows),
                        backend,
                        file_format,
                        str(out),
                    ],
                    env=env,
                )
            )
    if sling is not None:
        scheme = "postgresql" if database == "postgres" else "mysql"
        parsed = sa.engine.make_url(url)
        conn = f"{scheme}://{parsed.username}@{parsed.host}:{parsed.port}/{parsed.database}"
        if database == "postgres":
            conn += "?sslmode=disable"
        target = f"file://{work}/{tag}-sling.parquet"
        found.append(
            Contender(
                database,
                rows,
                "sling → parquet",
                [
                    *(str(sling), "run", "--src-conn", "BENCH_DB", "--src-stream", table_slice(rows)),
                    *("--tgt-object", target, "--mode", "full-refresh"),
                ],
                env={
                    "BENCH_DB": conn,
                    "SLING_DUCKDB_COMPUTE": "false",
                    "SLING_HOME_DIR": str(work / "sling-home"),
                },
            )
        )
    pandas_dir = work / f"{tag}-pandas"
    pandas_dir.mkdir(parents=True)
    found.append(
        Contender(
            database,
            rows,
            "pandas read_sql → parquet",
            [*here, "--child-pandas", url, str(rows), str(pandas_dir)],
        )
    )
    parsed = sa.engine.make_url(url)
    if database == "postgres":
        drain = ["psql", "-h", str(parsed.host), "-U", str(parsed.username), "-d", str(parsed.database)]
        drain += ["-Atc", f"COPY ({table_slice(rows)}) TO STDOUT (FORMAT csv)"]
        found.append(Contender(database, rows, "drain: COPY (psql)", drain, stdout_to_null=True))
    else:
        drain = ["mysql", "--quick", "-h", str(parsed.host), "-u", str(parsed.username), str(parsed.database)]
        drain += ["-e", table_slice(rows)]
        found.append(Contender(database, rows, "drain: mysql --quick", drain, stdout_to_null=True))
    return found


def child_step(url: str, rows: int, workdir: Path, checks: str) -> None:
    from benchmarks.db_contenders import _materialize

    started = time.perf_counter()
    moved = _materialize(url, rows, workdir, checks=checks == "on")
    print(f"ROWS {moved} SECONDS {time.perf_counter() - started:.3f}")


def child_pandas(url: str, rows: int, workdir: Path) -> None:
    from benchmarks.db_contenders import pandas_read_sql_to_parquet

    started = time.perf_counter()
    moved = pandas_read_sql_to_parquet(url, rows, workdir)
    print(f"ROWS {moved} SECONDS {time.perf_counter() - started:.3f}")


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(contenders: list[Contender]) -> None:
    print(
        f"\n{'database':<9} {'rows':>10} {'contender':<28} {'wall s':>7} {'work s':>7} {'cpu s':>7}"
        f" {'rows/s':>10} {'RSS MB':>7}   wall per round"
    )
    by_key: dict[tuple[str, int, str], Contender] = {}
    for c in contenders:
        if not c.runs:
            print(f"{c.database:<9} {c.rows:>10,} {c.name:<28} failed: {c.failure}")
            continue
        by_key[c.database, c.rows, c.name] = c
        wall = median([m.wall for m in c.runs])
        works = [m.work for m in c.runs if m.work is not None]
        work = f"{median(works):7.2f}" if works else f"{'':>7}"
        cpu = median([m.cpu for m in c.runs])
        rounds = ", ".join(f"{m.wall:.2f}" for m in c.runs)
        print(
            f"{c.database:<9} {c.rows:>10,} {c.name:<28} {wall:7.2f} {work} {cpu:7.2f}"
            f" {c.rows / wall:>10,.0f} {max(m.rss_mb for m in c.runs):7.0f}   {rounds}"
        )
    print("\nratios (peer wall ÷ Atlas wall; > 1 means Atlas is faster), same run:")

    def wall(key: tuple[str, int], name: str) -> float:
        return median([m.wall for m in by_key[(*key, name)].runs])

    def work(key: tuple[str, int], name: str) -> float:
        return median([m.work for m in by_key[(*key, name)].runs if m.work is not None])

    for database, rows in dict.fromkeys((c.database, c.rows) for c in contenders):
        key = (database, rows)

        for atlas in ("atlas step, checks off", "atlas CLI run, checks off", "atlas CLI run, checks on"):
            peers = ", ".join(
                f"{peer} {wall(key, peer) / wall(key, atlas):.2f}"
                for peer in ("pandas read_sql → parquet", "dlt connectorx → iceberg", "sling → parquet")
                if (database, rows, peer) in by_key
            )
            print(f"  {database} {rows:,}: {atlas}: {peers}")
        print(
            f"  {database} {rows:,}: work, pandas ÷ atlas step (checks off): "
            f"{work(key, 'pandas read_sql → parquet') / work(key, 'atlas step, checks off'):.2f}"
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-step":
        child_step(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child-pandas":
        child_pandas(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pg-rows", type=int, nargs="*", default=[10_000, 1_000_000, 10_000_000])
    parser.add_argument("--mysql-rows", type=int, nargs="*", default=[500_000])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "atlas-benchmarks")
    parser.add_argument("--no-sling", action="store_true")
    args = parser.parse_args()

    if args.pg_rows:
        ensure_rows(PG_URL, max(args.pg_rows))
    if args.mysql_rows:
        ensure_rows(MYSQL_URL, max(args.mysql_rows))
    args.cache.mkdir(parents=True, exist_ok=True)
    dlt_python = install_dlt(args.cache)
    sling = None if args.no_sling else install_sling(args.cache)
    print(
        f"started {time.strftime('%H:%M:%S', time.gmtime())} UTC, load average {os.getloadavg()}", flush=True
    )
    with tempfile.TemporaryDirectory(prefix="atlas-peers-") as tmp:
        work = Path(tmp)
        contenders: list[Contender] = []
        for rows in args.pg_rows:
            contenders += contenders_for("postgres", PG_URL, rows, work, dlt_python, sling)
        for rows in args.mysql_rows:
            contenders += contenders_for("mariadb", MYSQL_URL, rows, work, dlt_python, sling)
        for round_ in range(args.rounds):
            shift = round_ * len(contenders) // max(1, args.rounds)
            for contender in contenders[shift:] + contenders[:shift]:
                if contender.failure is None:
                    contender.run()
            print(
                f"round {round_ + 1}/{args.rounds} done {time.strftime('%H:%M:%S', time.gmtime())} UTC"
                f" (load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )
        report(contenders)


if __name__ == "__main__":
    main()
