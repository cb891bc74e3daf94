"""A run killed with SIGKILL mid-write: the daemon ends it, the next run removes what it left.

The run is launched as a user launches one (`dagster job launch` → the run queue → the daemon
starts a run worker beside its code server) and extracts from a local API whose second page
never comes, so it is caught after its first Parquet file is on disk and before its commit.
It is then killed the way an out-of-memory kill of a container kills it: the run worker, its
step process and the code server together, so no Dagster process is left to report the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import dagster as dg
import psutil
import pytest

from atlas_assets.factory.definitions import definitions_from_file
from atlas_assets.iceberg.orphan_files import referenced_paths, stored_files
from atlas_assets_tests.connectors.http.api_server import ApiServer, Received, Reply, json_reply
from atlas_assets_tests.connectors.http.conftest import items, rest_body
from atlas_assets_tests.dagster_processes import BIN, Deadline, Deployment, poll
from atlas_assets_tests.harness import Platform, write_runner

PAGE = 5
MONITORING_BOUND_SECONDS = 45
TABLE = ("acme", "api__items")


def items_api(api: ApiServer, release: threading.Event) -> None:
    """Page 1 at once; page 2 only once `release` is set; then the end."""

    def route(request: Received) -> Reply:
        page = int(request.params.get("page", "1"))
        if page == 2 and not release.wait(timeout=120):
            return Reply(503, {"error": "not released"})
        return json_reply(items((page - 1) * PAGE, PAGE) if page <= 2 else [])

    api.route("/items", route)


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The run worker's process: the one that logged the run's start."""
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_START)
    event = records[0].dagster_event if records else None
    return event.pid if event is not None else None


def parquet_files(root: Path) -> list[Path]:
    return sorted((root / "warehouse").rglob("*.parquet"))


@pytest.mark.slow
def test_a_run_killed_mid_write_is_failed_by_run_monitoring_and_its_files_removed_by_the_next_run(tmp_path):
    release = threading.Event()
    with ApiServer() as api:
        items_api(api, release)
        objects = {"items": {"pagination": {"type": "page_number"}, "batch_size": PAGE}}
        write_runner(tmp_path, rest_body(api.url, objects))
        deployment = Deployment.create(tmp_path, tmp_path / "runner.yaml")
        # Daemon start, launch and run start: 20-40 s, up to 2 minutes on a machine under load.
        deadline = Deadline(150)

        with deployment.daemon() as daemon, deployment.instance() as instance:
            subprocess.run(
                [str(BIN / "dagster"), "job", "launch", "-w", "workspace.yaml", "-j", "__ASSET_JOB"],
                cwd=tmp_path,
                env=deployment.env,
                check=True,
                capture_output=True,
                timeout=deadline.remaining(),
            )
            [run] = instance.get_runs()
            pid = poll(
                lambda: parquet_files(tmp_path) and worker_pid(instance, run.run_id),
                timeout=deadline.remaining(),
                what="the run to write its first data file",
                interval=0.5,
                watch=[daemon],
            )
            worker = psutil.Process(pid)
            victims = [worker, *worker.children(recursive=True), worker.parent()]
            for process in victims:
                os.kill(process.pid, signal.SIGKILL)
            psutil.wait_procs(victims, timeout=10)
            left_behind = parquet_files(tmp_path)
            killed_at = time.monotonic()

            status = poll(
                lambda: (
                    (s := instance.get_run_by_id(run.run_id).status)
                    in {
                        dg.DagsterRunStatus.FAILURE,
                        dg.DagsterRunStatus.SUCCESS,
                    }
                    and s
                ),
                timeout=deadline.remaining(),
                what="run monitoring to end the killed run",
                watch=[daemon],
            )
            monitoring_seconds = time.monotonic() - killed_at
            failure = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
            messages = [r.dagster_event.message for r in failure if r.dagster_event is not None]

            release.set()
            # The next run of the table, on the same instance (which now knows the killed run ended).
            atlas = Platform(tmp_path, definitions_from_file(tmp_path / "runner.yaml"), instance)
            rerun = atlas.materialize("acme/api/items")

    assert status == dg.DagsterRunStatus.FAILURE
    assert any(f"run worker process {pid} is gone" in (m or "") for m in messages), messages
    # dagster.yaml polls every 10 s: the run ends within a few polls even when the daemon is busy.
    assert monitoring_seconds < MONITORING_BOUND_SECONDS
    assert left_behind, "the killed run had written a data file"
    assert rerun.success
    table = atlas.catalog.load_table(TABLE)
    on_disk = {f.path for f in stored_files(table)}
    assert on_disk == referenced_paths(table)
    assert not {str(p) for p in left_behind} & on_disk
    assert sorted(table.scan().to_arrow().column("id").to_pylist()) == list(range(2 * PAGE))
