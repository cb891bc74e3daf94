"""Which of a range run's written rows belong to which of its partitions.

A row belongs to the partition whose window its cursor falls in. Rows before the first window
(a lookback) or without a cursor belong to the first partition, as their quarantined counterparts
do (see `QuarantineWriter`); rows at or past the last window's start belong to the last. The rule
is given as an Arrow filter (row counts, PII samples) and as a DuckDB predicate (Soda contracts),
both built here, so every figure and check of a partition reads the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.connectors.window_bounds import arrow_storage, window_bound

if TYPE_CHECKING:
    import pyarrow.dataset as ds  # imports pandas: not at definitions load


@dataclass(frozen=True)
class PartitionRows:
    """One partition's share of a run's written rows: cursor in [lower, upper), UTC.

    `lower` None: unbounded below, null cursors included; `upper` None: unbounded above. Without a
    time cursor rows cannot be placed: the first partition holds them all and the others none.
    """

    key: str
    window: TimeWindow
    cursor: str | None
    lower: dt.datetime | None
    upper: dt.datetime | None
    holds_rows: bool = True

    def dataset(self, written: ds.Dataset) -> ds.Dataset:
        """The partition's rows of `written`, still lazy."""
        return written.filter(self.arrow_filter(written.schema))

    def arrow_filter(self, schema: pa.Schema) -> pc.Expression:
        if not self.holds_rows:
            return pc.scalar(False)
        if self.cursor is None:
            return pc.scalar(True)
        timestamp = _comparable_type(schema.field(self.cursor).type)
        column = pc.field(self.cursor).cast(timestamp)
        condition = pc.scalar(True)
        if self.lower is not None:
            condition = condition & (column >= pa.scalar(_bound(self.lower, timestamp), type=timestamp))
        if self.upper is not None:
            below = column < pa.scalar(_bound(self.upper, timestamp), type=timestamp)
            condition = condition & (below if self.lower is not None else below | column.is_null())
        return condition

    def sql_predicate(self, schema: pa.Schema) -> str:
        """The same rows as a DuckDB boolean expression over the written columns."""
        if not self.holds_rows:
            return "FALSE"
        if self.cursor is None:
            return "TRUE"
        timestamp = _comparable_type(schema.field(self.cursor).type)
        literal = "TIMESTAMPTZ" if timestamp.tz is not None else "TIMESTAMP"
        column = '"' + self.cursor.replace('"', '""') + '"'
        column = column if timestamp.tz is not None else f"CAST({column} AS TIMESTAMP)"
        terms = []
        if self.lower is not None:
            terms.append(f"{column} >= {literal} '{_bound(self.lower, timestamp).isoformat()}'")
        if self.upper is not None:
            below = f"{column} < {literal} '{_bound(self.upper, timestamp).isoformat()}'"
            terms.append(below if self.lower is not None else f"({below} OR {column} IS NULL)")
        return " AND ".join(terms) or "TRUE"


def split_by_partition(
    schema: pa.Schema, cursor: str | None, windows: dict[str, TimeWindow]
) -> list[PartitionRows]:
    """Each partition's rows, for `windows` in partition order (only their starts place rows)."""
    placeable = cursor is not None and cursor in schema.names and _temporal(schema.field(cursor).type)
    if not placeable:
        return [
            PartitionRows(key, window, None, None, None, holds_rows=index == 0)
            for index, (key, window) in enumerate(windows.items())
        ]
    starts = [window.start for window in windows.values()]
    return [
        PartitionRows(
            key,
            window,
            cursor,
            lower=starts[index] if index > 0 else None,
            upper=starts[index + 1] if index + 1 < len(starts) else None,
        )
        for index, (key, window) in enumerate(windows.items())
    ]


def _temporal(arrow_type: pa.DataType) -> bool:
    return pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)


def _comparable_type(arrow_type: pa.DataType) -> pa.TimestampType:
    # Naive timestamps and dates hold UTC (the validation step's convention).
    if pa.types.is_timestamp(arrow_type) and arrow_type.tz is not None:
        return pa.timestamp("us", tz="UTC")
    return pa.timestamp("us")


def _bound(moment: dt.datetime, timestamp: pa.TimestampType) -> dt.datetime:
    bound = window_bound(arrow_storage(timestamp), moment, None, "start")  # exact for timestamps
    assert isinstance(bound, dt.datetime)
    return bound
