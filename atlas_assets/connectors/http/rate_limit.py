"""A per-source rate limit: requests per second, shared by every object of the source in a process."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    """Spaces requests at least `1 / requests_per_second` apart (thread-safe)."""

    def __init__(self, requests_per_second: float | None):
        self._interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self._lock = threading.Lock()
        self._next = 0.0

    def acquire(self) -> None:
        """Block until the next request may be sent."""
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            time.sleep(wait)
