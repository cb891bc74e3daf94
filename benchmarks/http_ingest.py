"""HTTP ingest: JSON pages from a local API into Iceberg through Dagster, against dlt's `rest_api`.

The server (this process, a real local HTTP server) holds 1,000,000 records of 20 fields, two of
them nested objects, pre-rendered as pages of 1,000 (`{"data": [...], "total": N}`, offset/limit),
so serving a page is a dictionary lookup and a socket write. Each contender runs in a fresh process
that reports its own time and peak RSS (`os.wait4`):

- `server alone`: every page fetched with httpx and discarded: the ceiling the server allows;
- `atlas`: the `rest` kind materialized in one Dagster run (`execute_in_process`) into Iceberg
  (`write: replace`, quality and PII checks off, as dlt runs none), at 100k and 1M rows;
- `dlt`: dlt's `rest_api` source over the same pages into Parquet files (filesystem destination),
  in its own virtualenv (`~/.cache/atlas-bench/dlt-venv`, made here with `pip install
  'dlt[parquet]'` when absent), never in our dependencies.

Rounds alternate Atlas and dlt so machine noise hits both; the table shows each round and the
medians.

    .venv/bin/python benchmarks/http_ingest.py --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from atlas_assets_tests.connectors.http.api_server import ApiServer, Received, Reply, Route
from atlas_assets_tests.runner_yaml import write_runner

PAGE_SIZE = 1_000
DLT_VENV = Path.home() / ".cache" / "atlas-bench" / "dlt-venv"
DLT_REQUIREMENT = "dlt[parquet]"

SERVER_ALONE = f"""
import json, sys, time, httpx
url, total = sys.argv[1], int(sys.argv[2])
with httpx.Client(base_url=url) as client:
    started = time.perf_counter()
    size = 0
    for offset in range(0, total, {PAGE_SIZE}):
        size += len(client.get("/events", params={{"offset": offset, "limit": {PAGE_SIZE}}}).content)
    seconds = time.perf_counter() - started
print(json.dumps({{"rows": total, "seconds": seconds, "bytes": size}}))
"""

ATLAS = """
import json, sys, time
import dagster as dg
from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
defs = build_definitions(*load_runner_config(sys.argv[1]))
job = defs.resolve_implicit_global_asset_job_def()
started = time.perf_counter()
result = job.execute_in_process(
    asset_selection=[dg.AssetKey(["bench", "api", "events"])], instance=dg.DagsterInstance.ephemeral()
)
seconds = time.perf_counter() - started
rows = result.asset_materializations_for_node("bench__api__events")[0].metadata["dagster/row_count"].value
print(json.dumps({"rows": rows, "seconds": seconds}))
"""

DLT = f"""
import json, sys, time
import dlt
from dlt.sources.rest_api import rest_api_source
url, workdir = sys.argv[1], sys.argv[2]
source = rest_api_source({{
    "client": {{"base_url": url}},
    "resources": [{{
        "name": "events",
        "endpoint": {{
            "path": "events",
            "data_selector": "data",
            "paginator": {{"type": "offset", "limit": {PAGE_SIZE}, "offset_param": "offset",
                           "limit_param": "limit", "total_path": "total"}},
        }},
    }}],
}})
pipeline = dlt.pipeline(
    pipeline_name="bench", pipelines_dir=workdir + "/pipelines", dataset_name="bench",
    destination=dlt.destinations.filesystem(bucket_url="file://" + workdir + "/parquet"),
)
started = time.perf_counter()
info = pipeline.run(source, loader_file_format="parquet")
seconds = time.perf_counter() - started
rows = pipeline.last_trace.last_normalize_info.row_counts["events"]
print(json.dumps({{"rows": rows, "seconds": seconds, "version": dlt.__version__}}))
"""


def record(i: int) -> dict[str, object]:
    """One event of 20 fields, two of them (`address`, `device`) nested objects."""
    return {
        "id": i,
        "uuid": f"{i:08x}-4b1d-4c2a-9e0f-{i * 7919 % 16**12:012x}",
        "created_at": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{i * 7 % 60:02d}Z",
        "updated_at": f"2026-02-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{i * 13 % 60:02d}.{i % 1000:03d}Z",
        "user_id": i % 50_000,
        "session_id": f"s-{i // 7:09d}",
        "event_type": ("view", "click", "purchase", "signup", "logout")[i % 5],
        "page": f"/products/{i % 997}",
        "referrer": None if i % 3 else f"https://search.example/q?{i % 101}",
        "amount": round((i % 10_000) * 0.37, 2),
        "quantity": i % 9,
        "currency": ("EUR", "USD", "GBP")[i % 3],
        "is_mobile": i % 2 == 0,
        "score": (i * 2_654_435_761 % 1_000_003) / 1_000_003,
        "country": ("FR", "DE", "US", "JP", "BR", "IN")[i % 6],
        "language": ("fr", "de", "en", "ja", "pt")[i % 5],
        "campaign": f"campaign-{i % 37}" if i % 4 else None,
        "note": f"event number {i} of the benchmark stream",
        "address": {
            "street": f"{i % 300} Main Street",
            "city": f"City {i % 83}",
            "zip": f"{10000 + i % 89999}",
        },
        "device": {
            "os": ("android", "ios", "linux")[i % 3],
            "version": f"{i % 17}.{i % 10}",
            "width": 360 + i % 1200,
        },
    }


class PagedEvents:
    """`/n<rows>/events` serves the first `rows` records, every page rendered before the clock starts."""

    def __init__(self, sizes: list[int]):
        # Only the pages' JSON text is kept (≈ 0.5 KB a record), never the records themselves.
        self._rendered = {
            (rows, first): b'{"data": %s, "total": %d}'
            % (json.dumps([record(i) for i in range(first, min(first + PAGE_SIZE, rows))]).encode(), rows)
            for rows in sizes
            for first in range(0, rows, PAGE_SIZE)
        }

    def route(self, rows: int) -> Route:
        def answer(request: Received) -> Reply:
            offset = int(request.params.get("offset", "0"))
            body = self._rendered.get((rows, offset), b'{"data": [], "total": %d}' % rows)
            return Reply(200, body, {"Content-Type": "application/json"})

        return answer


@dataclass
class Measurement:
    contender: str
    rows: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def run(contender: str, argv: list[str], env: dict[str, str] | None = None) -> Measurement:
    """Run one contender's process; its printed result and its own peak RSS."""
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env={**os.environ, **(env or {})})
        assert child.stdout is not None
        output = child.stdout.read()
        # wait4 gives this child's own rusage: its peak RSS.
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"{contender} failed:\n{err.read().decode()[-5000:]}")
    result = json.loads(output.decode().strip().splitlines()[-1])
    cpu = usage.ru_utime + usage.ru_stime  # the whole process, start-up included
    return Measurement(contender, result["rows"], result["seconds"], cpu, usage.ru_maxrss / 1024)


def dlt_python() -> Path:
    """The dlt virtualenv's interpreter, creating the venv from PyPI on first use."""
    python = DLT_VENV / "bin" / "python"
    if not python.exists():
        DLT_VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(DLT_VENV)], check=True)
    if subprocess.run([str(python), "-c", "import dlt, pyarrow"], capture_output=True).returncode:
        subprocess.run([str(python), "-m", "pip", "install", "-q", DLT_REQUIREMENT], check=True)
    return python


def runner_yaml(root: Path, base_url: str) -> Path:
    return write_runner(
        root,
        f"""
        tenants:
          bench:
            pii_scan: {{on_undeclared: ignore}}
            sources:
              api:
                kind: rest
                base_url: "{base_url}"
                objects:
                  events:
                    records: data
                    write: replace
                    quality: {{enabled: false}}
                    pagination: {{type: offset, limit: {PAGE_SIZE}, total_path: total}}
        """,
    )


def serve(sizes: list[int]) -> None:
    """The API server, in its own process: the contenders' parent stays small, so a child's peak
    RSS (which counts the memory it was forked with) is its own."""
    events = PagedEvents(sizes)
    with ApiServer() as api:
        for rows in sizes:
            api.route(f"/n{rows}/events", events.route(rows))
        print(api.url, flush=True)
        sys.stdin.read()  # serve until the parent closes our stdin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-dlt", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.rows)
    dlt = None if args.skip_dlt else dlt_python()
    results: list[Measurement] = []
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--rows", *map(str, args.rows)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None
    assert server.stdout is not None
    base_url = server.stdout.readline().strip()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for round_number in range(1, args.rounds + 1):
                for rows in args.rows:
                    url = f"{base_url}/n{rows}"
                    runner = runner_yaml(Path(tempfile.mkdtemp(dir=tmp)), url)
                    runs = [
                        ("server alone", [sys.executable, "-c", SERVER_ALONE, url, str(rows)]),
                        ("atlas", [sys.executable, "-c", ATLAS, str(runner)]),
                    ]
                    if dlt is not None:
                        runs.append(("dlt", [str(dlt), "-c", DLT, url, tempfile.mkdtemp(dir=tmp)]))
                    for contender, argv in runs:
                        measured = run(contender, argv)
                        results.append(measured)
                        print(
                            f"round {round_number}: {contender} {measured.rows:,} rows in "
                            f"{measured.seconds:.1f} s ({measured.rows_per_second:,.0f} rows/s), "
                            f"CPU {measured.cpu_seconds:.1f} s, peak RSS {measured.peak_rss_mb:.0f} MB",
                            file=sys.stderr,
                            flush=True,
                        )
    finally:
        server.stdin.close()
        server.wait()
    print(report(results, args.rows))


def report(results: list[Measurement], sizes: list[int]) -> str:
    lines = [
        "| contender | rows | rows/s per round | median rows/s | median CPU s | median peak RSS MB |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    medians: dict[tuple[str, int], float] = {}
    for rows in sizes:
        for contender in ("server alone", "atlas", "dlt"):
            runs = [m for m in results if m.contender == contender and m.rows == rows]
            if not runs:
                continue
            medians[(contender, rows)] = statistics.median(m.rows_per_second for m in runs)
            per_round = ", ".join(f"{m.rows_per_second:,.0f}" for m in runs)
            rss = statistics.median(m.peak_rss_mb for m in runs)
            cpu = statistics.median(m.cpu_seconds for m in runs)
            median = medians[(contender, rows)]
            lines.append(f"| {contender} | {rows:,} | {per_round} | {median:,.0f} | {cpu:.1f} | {rss:.0f} |")
    for rows in sizes:
        if ("dlt", rows) in medians:
            ratio = medians[("atlas", rows)] / medians[("dlt", rows)]
            lines.append(f"\nAt {rows:,} rows Atlas / dlt = {ratio:.2f}× (goal ≥ 1.5×)")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
