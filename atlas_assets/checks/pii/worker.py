"""An optional PII scan worker: a separate process that loads Presidio while the run ingests.

Loading spaCy and Presidio takes one to two seconds of Python work. In a background *thread* it
competes with the ingest for the GIL; in a separate *process* it runs on another core, so by the
time the run's rows are committed the analyzer is ready and the scan costs only the scan.

`start(settings)` spawns the worker (once per process) and has it build the analyzer; scans
then go to it (`detect_in_worker`) until the process exits. Where a process cannot be started
(a daemonic parent, a sandbox), everything falls back to scanning in process.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from atlas_assets.checks.pii.detect import Detection, detect
from atlas_assets.checks.pii.engine import EngineSettings, pii_analyzer
from atlas_assets.checks.pii.sample import ColumnSample

log = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None


def start(settings: EngineSettings) -> bool:
    """Start the worker (if not yet running) and have it build the analyzer for `settings`."""
    global _executor
    with _lock:
        if _executor is None:
            try:
                # spawn, not fork: the parent runs threads (Dagster's, gRPC's) that fork would break.
                spawn = multiprocessing.get_context("spawn")
                _executor = ProcessPoolExecutor(max_workers=1, mp_context=spawn)
                atexit.register(_executor.shutdown, wait=False, cancel_futures=True)
            except (OSError, AssertionError, ValueError) as exc:
                log.warning("PII scan worker unavailable (%s); scanning in process", exc)
                return False
        try:
            _executor.submit(_warm, settings)
        except (BrokenProcessPool, RuntimeError) as exc:
            log.warning("PII scan worker unavailable (%s); scanning in process", exc)
            _executor = None
            return False
    return True


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
