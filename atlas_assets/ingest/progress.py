"""Progress lines in the run log while an extraction streams, and one when it ends.

Every source kind's batches pass through `SourceExtract.open`, which wraps them in a
`ProgressReporter`: a user watching a three-hour backfill in the Dagster UI sees rows, bytes,
batches (and pages, where the source counts them), the rate, and an ETA when the source can tell a
total (`ExtractRequest.progress`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Protocol

import pyarrow as pa

from atlas_assets.connectors.contract import DeletedKeys, ExtractItem, ExtractProgress

DEFAULT_INTERVAL_SECONDS = 10.0
"""At most one progress line per this many seconds: often enough to see a run move, rarely
enough that a long run's log stays readable."""

FINAL_VERB = "extracted"
"""The verb of the one line per asset at the end of its extraction (`<label>: extracted …`)."""

Clock = Callable[[], float]


class ProgressLog(Protocol):
    """Where progress lines go: a Dagster context's `log` (or any logger)."""

    def info(self, msg: str) -> None: ...


class ProgressReporter:
    """Counts the batches of one extraction and logs a progress line at most every `interval`
    seconds, plus one final line when the stream ends.

    `source` is the request's `progress` (totals and bytes read, where the source fills them) and
    `stats` its `stats` (for `pages`). `clock` is injectable so the throttle is testable without
    waiting.
    """

    def __init__(
        self,
        label: str,
        log: ProgressLog,
        source: ExtractProgress,
        stats: dict[str, int | str],
        interval: float = DEFAULT_INTERVAL_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.label = label
        self.log = log
        self.source = source
        self.stats = stats
        self.interval = interval
        self.clock = clock
        self.rows = 0
        self.batches = 0
        self.memory_bytes = 0
        self.deletes = 0
        self.started = clock()
        self.last_line = self.started

    def track(self, items: Iterator[ExtractItem]) -> Iterator[ExtractItem]:
        """Pass `items` through unchanged, counting them and logging as they go."""
        try:
            for item in items:
                if isinstance(item, DeletedKeys):
                    self.deletes += item.keys.num_rows
                else:
                    self.add(item)
                yield item
                # After the yield: the interval then includes the writer's work on the batch too.
                self.maybe_log()
        finally:
            # A writer that stops early closes this stream: the source's must close now too.
            close = getattr(items, "close", None)
            if close is not None:
                close()
        self.log.info(self.line(final=True))

    def add(self, batch: pa.RecordBatch) -> None:
        """Count one batch of rows."""
        self.rows += batch.num_rows
        self.batches += 1
        self.memory_bytes += batch.nbytes

    def maybe_log(self) -> None:
        """Log a progress line if `interval` seconds have passed since the last one."""
        now = self.clock()
        if now - self.last_line >= self.interval:
            self.last_line = now
            self.log.info(self.line(final=False))

    def line(self, final: bool) -> str:
        """`label: extracted|extracting N rows, … , R rows/s[, P% of total, ETA h:mm:ss]`."""
        elapsed = max(self.clock() - self.started, 1e-9)
        parts = [f"{self.rows:,} rows"]
        source_bytes = self.source.bytes_read
        if source_bytes is not None:
            parts.append(f"{_size(source_bytes)} read")
        else:
            parts.append(f"{_size(self.memory_bytes)} in Arrow")
        parts.append(_count(self.batches, "batch", "batches"))
        pages = self.stats.get("pages")
        if isinstance(pages, int):
            parts.append(_count(pages, "page", "pages"))
        if self.deletes:
            parts.append(_count(self.deletes, "delete", "deletes"))
        parts.append(f"{self.rows / elapsed:,.0f} rows/s")
        parts.append(f"{_duration(elapsed)} elapsed")
        if not final:
            done = self._fraction_done()
            if done is not None and done > 0:
                parts.append(f"{done:.0%} done, ETA {_duration(elapsed * (1 - done) / done)}")
        verb = FINAL_VERB if final else "extracting"
        return f"{self.label}: {verb} " + ", ".join(parts)

    def _fraction_done(self) -> float | None:
        """The share of the source's reported total read so far, by bytes or else by rows."""
        source = self.source
        if source.total_bytes and source.bytes_read is not None:
            return min(source.bytes_read / source.total_bytes, 1.0)
        if source.total_rows:
            return min(self.rows / source.total_rows, 1.0)
        return None


def is_final_line(message: str) -> bool:
    """Whether a run-log message is an extraction's final progress line."""
    label, _, rest = message.partition(": ")
    return bool(label) and rest.startswith(f"{FINAL_VERB} ") and "rows/s" in rest


def _count(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


def _duration(seconds: float) -> str:
    return str(dt.timedelta(seconds=round(seconds)))
