"""Real Dagster processes for tests: `dagster-webserver` and `dagster-daemon` over a temp deployment.

A `Deployment` is a directory laid out like a user's project: runner.yaml, the repo's
workspace.yaml, and a DAGSTER_HOME holding the repo's dagster.yaml. Processes run with that
directory as their working directory, so the instance's relative SQLite paths (`.atlas/dagster`)
land inside it. Every process is started in its own session and, on exit, its whole process
group and every descendant (code servers, run workers) is terminated, then killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STOP_GRACE_SECONDS = 10.0

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def poll(
    probe: Callable[[], T | None],
    timeout: float,
    what: str,
    interval: float = 1.0,
    watch: Sequence[DagsterProcess] = (),
) -> T:
    """`probe()`'s first truthy result; `TimeoutError` naming `what` after `timeout` seconds.

    Fails at once, with its output, if a process in `watch` exits while waiting.
    """
    deadline = time.monotonic() + timeout
    while True:
        for process in watch:
            process.assert_alive()
        result = probe()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


class Deadline:
    """One point in time that several waits share, so a test's total waiting stays bounded."""

    def __init__(self, seconds: float):
        self._at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._at - time.monotonic())


@dataclass
class DagsterProcess:
    """A started Dagster CLI process and the file its output goes to."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the process's combined stdout/stderr, for failure messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} (exit code {self.popen.poll()}) ---\n{text[-chars:]}"

    def assert_alive(self) -> None:
        """Fail with the process's output if it has exited."""
        if self.popen.poll() is not None:
            raise AssertionError(f"{self.name} exited early\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL whatever of the group or its descendants is left."""
        try:
            descendants = psutil.Process(self.popen.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            descendants = []
        _signal_group(self.popen.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=STOP_GRACE_SECONDS)
        _signal_group(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=STOP_GRACE_SECONDS)
        # Run workers may have left the group (or outlived their parent): kill each by its id.
        for child in descendants:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        psutil.wait_procs(descendants, timeout=STOP_GRACE_SECONDS)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@dataclass
class Deployment:
    """runner.yaml, workspace.yaml and DAGSTER_HOME under `root`, and the processes serving them."""

    root: Path
    runner_yaml: Path
    environment: dict[str, str] = field(default_factory=dict)
    """Variables set for the processes and the test's instance (e.g. `ATLAS_DAGSTER_PG_URL`)."""

    @classmethod
    def create(
        cls,
        root: Path,
        runner_yaml: Path,
        environment: dict[str, str] | None = None,
        dagster_yaml: Path = REPO / "dagster.yaml",
    ) -> Deployment:
        """Lay out the deployment around an existing runner.yaml (see `harness.write_runner`), with
        the repo's dagster.yaml or another shipped one (`deploy/dagster.yaml`).

        The instance's SQLite databases are created here, before any process starts: processes
        that create them concurrently can each stamp the alembic version, leaving two rows that
        make every later load fail ("Version table 'alembic_version' has more than one head
        present", dagster-io/dagster#27390). `dagster dev` avoids it the same way.
        """
        home = root / "dagster_home"
        home.mkdir()
        shutil.copy(dagster_yaml, home / "dagster.yaml")
        shutil.copy(REPO / "workspace.yaml", root / "workspace.yaml")
        (root / "logs").mkdir()
        deployment = cls(root, runner_yaml, dict(environment or {}))
        with deployment.instance():
            pass
        return deployment

    @property
    def home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def env(self) -> dict[str, str]:
        """The test's environment, pointed at this deployment; instance storage SQLite unless
        `environment` names a PostgreSQL one."""
        env = {**os.environ, "DAGSTER_HOME": str(self.home), "ATLAS_RUNNER_CONFIG": str(self.runner_yaml)}
        env.pop("ATLAS_DAGSTER_PG_URL", None)
        return {**env, **self.environment}

    @contextlib.contextmanager
    def process(self, name: str, *args: str) -> Iterator[DagsterProcess]:
        """Run `BIN/name args` in `root` for the duration of the block, then stop it and its children."""
        log = self.root / "logs" / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [str(BIN / name), *args],
                cwd=self.root,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = DagsterProcess(name, popen, log)
        try:
            yield started
        except BaseException as exc:
            exc.add_note(started.log_tail())
            raise
        finally:
            started.stop()

    @contextlib.contextmanager
    def webserver(self, timeout: float = 60) -> Iterator[Webserver]:
        """`dagster-webserver -w workspace.yaml` on a free port, once its code location has loaded."""
        port = free_port()
        args = ("-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml")
        with self.process("dagster-webserver", *args) as proc:
            server = Webserver(f"http://127.0.0.1:{port}", proc)
            poll(server.location_loaded, timeout, "the webserver to load its code location", watch=[proc])
            yield server

    def materialize(
        self, selection: str, *args: str, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """`dagster asset materialize --select selection args` in `root`, as a user runs it from CI."""
        return subprocess.run(
            [
                str(BIN / "dagster"),
                "asset",
                "materialize",
                "-m",
                "atlas_assets.definitions",
                "--select",
                selection,
                *args,
            ],
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def execute_job(
        self, job_name: str, *args: str, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """`dagster job execute -j job_name args` in `root`, as a user runs a job from the command
        line (`args` e.g. `-c run_config.yaml`)."""
        return subprocess.run(
            [str(BIN / "dagster"), "job", "execute", "-m", "atlas_assets.definitions", "-j", job_name, *args],
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    @contextlib.contextmanager
    def daemon(self) -> Iterator[DagsterProcess]:
        """`dagster-daemon run -w workspace.yaml`: schedules, backfills and the run queue."""
        with self.process("dagster-daemon", "run", "-w", "workspace.yaml") as proc:
            yield proc

    @contextlib.contextmanager
    def instance(self) -> Iterator[dg.DagsterInstance]:
        """The deployment's instance, as the processes see it (relative storage paths resolve in `root`)."""
        # The storage is chosen from the environment when the instance starts (instance_storage.py).
        names = {"ATLAS_DAGSTER_PG_URL", *self.environment}
        saved = {name: os.environ.pop(name) for name in names if name in os.environ}
        os.environ.update(self.environment)
        try:
            with contextlib.chdir(self.root), dg.DagsterInstance.from_config(str(self.home)) as instance:
                yield instance
        finally:
            for name in names:
                os.environ.pop(name, None)
            os.environ.update(saved)


def run_errors(instance: dg.DagsterInstance, run_id: str) -> str:
    """The errors a run's event log holds (step and run failures, engine errors), for assertion messages."""
    errors = []
    for record in instance.all_logs(run_id):
        error = getattr(record.dagster_event and record.dagster_event.event_specific_data, "error", None)
        if error is not None:
            errors.append(f"{record.dagster_event.event_type_value}: {error.to_string()}")  # type: ignore[union-attr]
    return "\n".join(errors) or f"run {run_id} logged no error"


class GraphQLError(AssertionError):
    """The webserver answered a GraphQL request with errors."""


@dataclass
class Webserver:
    """A running webserver's GraphQL API."""

    url: str
    process: DagsterProcess

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a GraphQL document; its `data`, or `GraphQLError` with the errors."""
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.load(response)
        if body.get("errors"):
            raise GraphQLError(json.dumps(body["errors"], indent=2))
        return body["data"]

    def location_loaded(self) -> bool:
        """Whether the webserver answers and has loaded the code location without error."""
        try:
            data = self.graphql(_WORKSPACE_QUERY)
        except OSError:
            return False
        entries = data["workspaceOrError"].get("locationEntries", [])
        for entry in entries:
            location = entry["locationOrLoadError"] or {}
            if location.get("__typename") == "PythonError":
                raise AssertionError(f"code location failed to load: {location['message']}")
        return any(e["loadStatus"] == "LOADED" and e["locationOrLoadError"] for e in entries)

    def launch_asset_backfill(self, asset_key: dg.AssetKey, partition_keys: list[str]) -> str:
        """Launch an asset backfill as the UI's "Materialize selected partitions" does; its id."""
        params = {"assetSelection": [{"path": list(asset_key.path)}], "partitionNames": partition_keys}
        result = self.graphql(_LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        if result["__typename"] != "LaunchBackfillSuccess":
            raise GraphQLError(f"{result['__typename']}: {result.get('message')}")
        return result["backfillId"]

    def launch_assets(self, asset_keys: Sequence[dg.AssetKey], tags: dict[str, str] | None = None) -> str:
        """Launch one run of `asset_keys` as the UI's "Materialize" button does; its run id."""
        params = {
            "selector": {
                "repositoryLocationName": LOCATION_NAME,
                "repositoryName": "__repository__",
                "jobName": "__ASSET_JOB",
                "assetSelection": [{"path": list(key.path)} for key in asset_keys],
            },
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
        }
        result = self.graphql(_LAUNCH_RUN, {"params": params})["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            raise GraphQLError(f"{result['__typename']}: {result.get('message')}")
        return result["run"]["runId"]

    def backfill_status(self, backfill_id: str) -> str:
        """The backfill's `BulkActionStatus` (REQUESTED, COMPLETED_SUCCESS, COMPLETED_FAILED, ...)."""
        result = self.graphql(_BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
        if result["__typename"] != "PartitionBackfill":
            raise GraphQLError(f"{result['__typename']}: {result.get('message')}")
        return result["status"]


LOCATION_NAME = "atlas_assets"  # workspace.yaml's location_name

_LAUNCH_RUN = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
  }
}
"""

BACKFILL_DONE = frozenset({"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"})

_WORKSPACE_QUERY = """
{
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""

_LAUNCH_BACKFILL = """
mutation ($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}
"""

_BACKFILL_STATUS = """
query ($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status }
    ... on Error { message }
  }
}
"""
