"""The PII scan worker: a forked process that loads Presidio while the run ingests.

Loading spaCy, Presidio and the NER model takes one to two seconds of Python work. In a
background *thread* it competes with the ingest for the GIL; in a separate *process* it runs on
another core, so by the time the run's rows are committed the analyzer is ready and the scan costs
only the scan.

The worker is *forked*, not spawned: a spawned child starts a fresh interpreter that re-imports
the parent's entry point (Dagster's CLI, about a second) before it can begin on Presidio, which
made a one-row run slower than scanning in process; a forked one starts on Presidio at once. The
child only ever runs the functions below, on plain data, and never touches what it inherited
(database connections, the Dagster instance, temp directories): Python's collector is frozen
across the fork so the child cannot finalize garbage it inherited (a second close of a
connection, a second removal of a temp directory), and it leaves through `os._exit`, without the
parent's exit handlers. It ends with its parent: at the parent's exit the pool is shut down, and
on Linux a parent-death signal ends it when the parent is killed. Threads are not copied by a
fork; the worker starts at the asset op's start, before the op starts threads of its own.

`start(settings)` forks the worker (once per process) and has it build the analyzer; scans then
go to it (`detect_in_worker`) until the process exits. Where a process cannot be started (a
daemonic parent, a sandbox), everything falls back to scanning in process.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import multiprocessing.util
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from atlas_assets.checks.pii.detect import Detection, detect
from atlas_assets.checks.pii.engine import EngineSettings, pii_analyzer
from atlas_assets.checks.pii.sample import ColumnSample

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # <sys/prctl.h>

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None


def start(settings: EngineSettings) -> bool:
    """Start the worker (if not yet running) and have it build the analyzer for `settings`."""
    global _executor
    with _lock:
        if _executor is None:
            try:
                fork = multiprocessing.get_context("fork")
                _executor = ProcessPoolExecutor(
                    max_workers=1, mp_context=fork, initializer=_in_worker, initargs=(os.getpid(),)
                )
                # Not atexit: a Dagster step process is a multiprocessing child, which skips atexit
                # and joins its children as it exits, so the worker must have stopped by then. The
                # priority puts this before the finalizers that close the executor's queues.
                multiprocessing.util.Finalize(
                    None, _executor.shutdown, kwargs={"cancel_futures": True}, exitpriority=100
                )
            except (OSError, AssertionError, ValueError) as exc:
                log.warning("PII scan worker unavailable (%s); scanning in process", exc)
                return False
        try:
            with _frozen_heap():  # the first submit forks the worker
                _executor.submit(_warm, settings)
        except (BrokenProcessPool, RuntimeError, OSError) as exc:
            log.warning("PII scan worker unavailable (%s); scanning in process", exc)
            _executor = None
            return False
    return True


def _in_worker(parent: int) -> None:
    """The worker's first act: collect again (the fork left collection off), die with the parent."""
    gc.enable()
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """Have the kernel end this process when its parent ends, however the parent ends.

    A forked worker holds both ends of its task queue, so a parent killed with SIGKILL (run
    monitoring, an OOM kill) would leave it waiting for work forever. Linux's parent-death signal
    ends it instead; elsewhere the worker ends when the parent's exit shuts the pool down.
    """
    if sys.platform != "linux":
        return
    # The process's own symbols include libc's; find_library would run `ldconfig -p` to find it.
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent was gone before the signal was armed
        os._exit(0)


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep every object that exists now out of the collector's reach, in parent and child.

    The forked child inherits them frozen, so its collections never run an inherited
    finalizer (a connection's close, a temp directory's removal); the parent thaws at once.
    """
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def stop() -> None:
    """Shut the worker down; later scans run in process until `start` is called again."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)


def running() -> bool:
    """Whether scans go to the worker process."""
    return _executor is not None


def detect_in_worker(
    settings: EngineSettings, samples: list[ColumnSample], wanted: tuple[str, ...], threshold: float
) -> Detection | None:
    """The detection, computed by the worker; None if the worker died (the caller scans in process)."""
    global _executor
    executor = _executor
    if executor is None:
        return None
    try:
        return executor.submit(_detect, settings, samples, wanted, threshold).result()
    except BrokenProcessPool as exc:
        log.warning("PII scan worker died (%s); scanning in process", exc)
        with _lock:
            _executor = None
        return None


def _warm(settings: EngineSettings) -> None:
    # A preload: the NER model too, as the worker's whole point is to load while the run ingests.
    pii_analyzer(settings).load_ner()


def _detect(
    settings: EngineSettings, samples: list[ColumnSample], wanted: tuple[str, ...], threshold: float
) -> Detection:
    return detect(settings, samples, wanted, threshold)
