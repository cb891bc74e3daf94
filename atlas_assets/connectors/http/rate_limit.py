"""A per-source rate limit: requests per second, shared by every object of the source in a run.

Dagster's multiprocess executor runs each object's step in its own process, so a limit kept in
memory would be per object, not per source. The limiter's state is therefore one small file per
source in the run's own storage directory (`<instance storage>/<run_id>/`, where Dagster keeps
the run's compute logs): a request takes the lock (`flock`), reserves the next free send time,
releases the lock and sleeps until its time. Whatever the executor, every process and thread of
the run that sends to the source shares that one schedule. Concurrent *runs* each get their own
budget (use Dagster's run concurrency limits to bound them); a resource used outside a run (no
state file) keeps its schedule in memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import dagster as dg


def run_state_file(context: dg.InitResourceContext, source_identity: str) -> Path | None:
    """The limiter state file of the source `source_identity` names, in the run's storage directory.

    `source_identity` is the source resource's persisted config (secrets as `${VAR}` text): every
    object of a source sees the same one, in whichever process its step runs.
    """
    run = context.run
    if context.instance is None or run is None:
        return None
    digest = hashlib.sha256(source_identity.encode()).hexdigest()[:16]
    return Path(context.instance.storage_directory()) / run.run_id / "rate_limits" / digest


class RateLimiter:
    """Spaces requests at least `1 / requests_per_second` apart, across the processes sharing `state_file`.

    Times are `time.monotonic()`: on Linux (CLOCK_MONOTONIC) one clock for every process of the
    host, which is where the steps of a multiprocess run execute.
    """

    def __init__(self, requests_per_second: float | None, state_file: Path | None = None):
        self._interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self._state_file = state_file
        self._lock = threading.Lock()
        self._next = 0.0

    def acquire(self) -> float:
        """Block until the next request may be sent; the seconds waited."""
        if not self._interval and self._state_file is None and self._next <= time.monotonic():
            return 0.0
        with self._lock:
            now = time.monotonic()
            slot = self._reserve_shared(now) if self._state_file else self._reserve_local(now)
        wait = slot - now
        if wait > 0:
            time.sleep(wait)
        return max(wait, 0.0)

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` from now (a server said its budget is spent), whatever the rate."""
        until = time.monotonic() + seconds
        with self._lock:
            if self._state_file is None:
                self._next = max(self._next, until)
                return
            with self._open_state() as state:
                slot = max(until, _stored_time(state.read()))
                state.seek(0)
                state.truncate()
                state.write(repr(slot).encode())

    def _reserve_local(self, now: float) -> float:
        slot = max(now, self._next)
        self._next = slot + self._interval
        return slot

    def _reserve_shared(self, now: float) -> float:
        with self._open_state() as state:
            slot = max(now, _stored_time(state.read()))
            state.seek(0)
            state.truncate()
            state.write(repr(slot + self._interval).encode())
        return slot

    @contextlib.contextmanager
    def _open_state(self) -> Iterator[BinaryIO]:
        """The state file, locked (`flock`) until the block ends, positioned at its start."""
        assert self._state_file is not None
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        with self._state_file.open("a+b") as state:
            fcntl.flock(state, fcntl.LOCK_EX)  # released when the file closes
            state.seek(0)
            yield state


def _stored_time(text: bytes) -> float:
    """The reserved time in the file; 0 when empty or torn (a process killed mid-write)."""
    try:
        return float(text)
    except ValueError:
        return 0.0
