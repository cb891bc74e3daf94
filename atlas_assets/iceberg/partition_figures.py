"""Each partition's own figures in a run that wrote several (a single-run backfill).

Dagster records one materialization per partition of such a run; these figures make each one
say what that partition holds, not what the whole run wrote.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from atlas_assets.connectors.contract import TimeWindow


@dataclass(frozen=True)
class PartitionFigures:
    """What one partition of a run holds: its window, rows written and rows quarantined."""

    key: str
    window: TimeWindow
    rows_written: int
    rows_quarantined: int


def partition_figures(
    written: ds.Dataset,
    cursor: str | None,
    windows: dict[str, TimeWindow],
    quarantined: dict[str, int],
) -> list[PartitionFigures]:
    """Split the run's written rows by the partition window their cursor falls in.

    `windows` are in partition order; rows before the first window's start (a lookback) and
    rows without a usable cursor count towards the first partition, as their quarantined
    counterparts do (see `QuarantineWriter`).
    """
    counts = _rows_by_window(written, cursor, [w.start for w in windows.values()])
    return [
        PartitionFigures(key, window, int(count), quarantined.get(key, 0))
        for (key, window), count in zip(windows.items(), counts, strict=True)
    ]


def _rows_by_window(written: ds.Dataset, cursor: str | None, starts: list[dt.datetime]) -> np.ndarray:
    counts = np.zeros(len(starts), dtype=np.int64)
    names = written.schema.names
    if cursor is None or cursor not in names or not _temporal(written.schema.field(cursor).type):
        counts[0] = written.count_rows()
        return counts
    bounds = np.array([int(start.timestamp() * 1_000_000) for start in starts], dtype=np.int64)
    for batch in written.to_batches(columns=[cursor], batch_readahead=1, fragment_readahead=1):
        micros = _utc_micros(batch.column(0)).to_numpy(zero_copy_only=False)
        index = np.clip(np.searchsorted(bounds, micros, side="right") - 1, 0, len(starts) - 1)
        counts += np.bincount(index, minlength=len(starts))
    return counts


def _temporal(arrow_type: pa.DataType) -> bool:
    return pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)


def _utc_micros(column: pa.Array) -> pa.Array:
    """Microseconds since the epoch in UTC (naive timestamps and dates hold UTC); nulls as the minimum."""
    if pa.types.is_date(column.type):
        column = pc.cast(column, pa.timestamp("us"))
    elif column.type.tz is not None:
        column = pc.cast(column, pa.timestamp("us", tz="UTC"))
    else:
        column = pc.cast(column, pa.timestamp("us"))
    return pc.fill_null(pc.cast(column, pa.int64()), np.iinfo(np.int64).min)
