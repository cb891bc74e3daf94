"""The PII scan worker process: loads Presidio alongside the ingest and scans like the in-process path."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pytest

from atlas_assets.checks.pii import worker as pii_worker
from atlas_assets.checks.pii.check import run_pii_checks, warm_pii_engine
from atlas_assets_tests.checks.pii.test_pii_scan import object_spec, people


@pytest.fixture
def worker():
    pii_worker.stop()  # a worker another test's run started would not be forked anew
    yield
    pii_worker.stop()


def test_warming_starts_a_worker_process_that_the_scan_then_uses(worker):
    spec = object_spec()

    assert warm_pii_engine(spec) is True
    (result,) = run_pii_checks(spec, pa.table(people()))

    assert pii_worker.running()
    assert result.metadata["undeclared_pii"].value["mobile"]["PHONE_NUMBER"] >= 0.9


def test_the_worker_finds_what_the_in_process_scan_finds(worker):
    spec = object_spec()
    data = pa.table(people())
    (in_process,) = run_pii_checks(spec, data)

    warm_pii_engine(spec)
    (in_worker,) = run_pii_checks(spec, data)

    assert in_worker.metadata["undeclared_pii"].value == in_process.metadata["undeclared_pii"].value


def test_no_worker_when_the_scan_is_off(worker):
    spec = object_spec(defaults={"pii_scan": {"on_undeclared": "ignore"}})

    assert warm_pii_engine(spec) is False
    assert not pii_worker.running()


class Finalized:
    """Garbage in a reference cycle whose finalizer records which process ran it."""

    def __init__(self, log):
        self.log, self.cycle = log, self

    def __del__(self):
        with open(self.log, "a") as f:
            f.write(f"{os.getpid()}\n")


def test_the_forked_worker_never_finalizes_garbage_it_inherited(worker, tmp_path):
    log = tmp_path / "finalized.txt"
    gc.disable()
    try:
        Finalized(log)  # unreachable at once, but only a collection can free it
        warm_pii_engine(object_spec())
        run_pii_checks(object_spec(), pa.table(people()))  # the worker has collected by now
    finally:
        gc.enable()
    gc.collect()

    assert log.read_text().split() == [str(os.getpid())]


STARTS_A_WORKER = textwrap.dedent(
    """
    import multiprocessing, time
    from atlas_assets.checks.pii import worker
    from atlas_assets.checks.pii.engine import EngineSettings

    worker.start(EngineSettings(("US",)))
    print(*[child.pid for child in multiprocessing.active_children()], flush=True)
    time.sleep(600)
    """
)


def alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_the_worker_ends_when_its_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", STARTS_A_WORKER], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    (worker_pid,) = map(int, parent.stdout.readline().split())

    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 30
    while alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)

    assert not alive(worker_pid)
