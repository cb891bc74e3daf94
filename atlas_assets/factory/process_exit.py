"""Ending a run's process without the collector's shutdown pass.

When Python exits it runs its cyclic garbage collector over every object still alive, several
times while it tears modules down. A process that has loaded Dagster, pyarrow and pyiceberg
holds millions of them, and those passes took 0.4-0.6 s of every one-row run (`benchmarks/
run_cost.py`), only to free memory the operating system reclaims at exit anyway. Freezing the heap
as the last exit handler moves every object out of the collector's reach. Exit handlers,
`weakref.finalize` callbacks, logging's flush and objects freed by reference counting all still
run; only finalizers of objects left in reference cycles are skipped, which Python never
promises to run at exit.
"""

from __future__ import annotations

import atexit
import functools
import gc


@functools.cache
def skip_final_collection() -> None:
    """Register (once per process) the exit handler that freezes the heap.

    Registered at the start of an asset's op, before the handlers the run registers after it,
    so it runs after them (exit handlers run last-registered first).
    """
    atexit.register(gc.freeze)
