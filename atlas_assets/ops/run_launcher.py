"""The run launcher of the shipped dagster.yaml: Dagster's default, plus a run-worker health check.

`DefaultRunLauncher` starts each run worker as a process beside its code server and cannot tell
run monitoring whether that process still lives. The code server notices a worker that died
while it itself lives; when both die at once (SIGKILL of a process group, the out-of-memory
killer, a restarted container), nothing ever ends the run and it stays STARTED forever. This
launcher answers run monitoring's health check (dagster.yaml `run_monitoring`) from the worker's
process id, which every event records (that of the run's RUN_START event is the worker's): the
daemon marks the run FAILURE once that process is gone.

A process id means something only on the host that started it, so the check applies to code
servers on this host (the daemon's own, or a gRPC server on localhost); for any other run the
worker is reported running, as `DefaultRunLauncher` would.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dagster as dg
from dagster._core.launcher.base import CheckRunHealthResult, WorkerStatus
from dagster._core.remote_origin import GrpcServerCodeLocationOrigin

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", socket.gethostname()})


class HealthCheckedRunLauncher(dg.DefaultRunLauncher):
    """`DefaultRunLauncher` whose run workers run monitoring can check (see the module docstring)."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        pid = self._worker_pid(run) if _started_on_this_host(run) else None
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no run worker process to check on this host")
        if _process_alive(pid):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker process {pid} is alive")
        return CheckRunHealthResult(
            WorkerStatus.FAILED,
            f"run worker process {pid} is gone: it was killed or crashed without ending the run",
        )

    def _worker_pid(self, run: dg.DagsterRun) -> int | None:
        records = self._instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_START)
        event = records[0].dagster_event if records else None
        return event.pid if event is not None else None


def _started_on_this_host(run: dg.DagsterRun) -> bool:
    origin = run.remote_job_origin
    if origin is None:
        return False
    location = origin.repository_origin.code_location_origin
    if isinstance(location, GrpcServerCodeLocationOrigin):
        return location.host in _LOCAL_HOSTS
    return True  # a code server the daemon or webserver started itself, on this host


def _process_alive(pid: int) -> bool:
    """Whether `pid` is a live process; a zombie (killed, not yet reaped) is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        # `pid (name) state ...`: the state follows the last parenthesis.
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
