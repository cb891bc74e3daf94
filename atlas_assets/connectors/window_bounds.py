"""A window bound (a UTC instant) written in the cursor column's own representation.

Every place that decides which rows a partition window holds converts its bounds here: the
source query (`connectors/sql/select.py`), client-side filters (`connectors/arrow.py`),
validation (`ingest/validation.py`) and the Iceberg delete of the window a re-run replaces
(`iceberg/row_filters.py`). Because they share one conversion they cannot disagree, so a re-run
replaces exactly the rows it rewrites, whatever the cursor's storage type.

A cursor is stored as one of the `CursorStorage` kinds; integer and text cursors say how they
encode time with `cursor_format` (the vocabulary of the HTTP layer: `iso8601`, `epoch_seconds`,
`epoch_millis`). For discrete representations (dates, whole epoch units) a bound becomes the
smallest stored value at or after it, so `start <= cursor < end` holds exactly the instants in
`[start, end)`. ISO-8601 text does not sort as instants (`' '` and `'T'` separators, zone offsets),
so a text bound is only a *covering* range for a source query; the rows are then compared as
instants once parsed (`arrow.cursor_instants`).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Literal

import pyarrow as pa
import sqlalchemy as sa
from pyiceberg import types as iceberg

from atlas_assets.connectors.instants import epoch_micros

CursorFormat = Literal["iso8601", "epoch_seconds", "epoch_millis"]
"""How an integer or text cursor encodes an instant (as `cursor_format:` in runner.yaml)."""

Side = Literal["start", "end"]

EPOCH_UNITS_PER_SECOND: dict[str, int] = {"epoch_seconds": 1, "epoch_millis": 1_000}
# Zone offsets reach from -12:00 to +14:00: a local date is at most a day off the UTC date.
_ONE_DAY = dt.timedelta(days=1)


class CursorStorage(enum.Enum):
    """How a cursor column stores its values, whatever system holds it."""

    TIMESTAMPTZ = "timestamptz"
    TIMESTAMP = "timestamp"  # naive: holds UTC
    DATE = "date"
    INTEGER = "integer"  # epoch seconds or milliseconds, per cursor_format
    TEXT = "text"  # ISO 8601, per cursor_format


class CursorBoundError(ValueError):
    """A cursor whose storage cannot be compared with a window's instants."""


def arrow_storage(arrow_type: pa.DataType) -> CursorStorage | None:
    """The storage kind of an Arrow column type, or None when it holds no time."""
    if pa.types.is_timestamp(arrow_type):
        return CursorStorage.TIMESTAMPTZ if arrow_type.tz else CursorStorage.TIMESTAMP
    if pa.types.is_date(arrow_type):
        return CursorStorage.DATE
    if pa.types.is_integer(arrow_type):
        return CursorStorage.INTEGER
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return CursorStorage.TEXT
    return None


def sql_storage(column_type: sa.types.TypeEngine[object]) -> CursorStorage | None:
    """The storage kind of a reflected SQL column type, or None when it is unknown or holds no time."""
    if isinstance(column_type, sa.DateTime):
        return CursorStorage.TIMESTAMPTZ if column_type.timezone else CursorStorage.TIMESTAMP
    if isinstance(column_type, sa.Date):
        return CursorStorage.DATE
    if isinstance(column_type, sa.Integer):
        return CursorStorage.INTEGER
    if isinstance(column_type, sa.String):
        return CursorStorage.TEXT
    return None


def iceberg_storage(field_type: iceberg.IcebergType) -> CursorStorage | None:
    """The storage kind of an Iceberg field type, or None when it holds no time."""
    if isinstance(field_type, iceberg.TimestamptzType):
        return CursorStorage.TIMESTAMPTZ
    if isinstance(field_type, iceberg.TimestampType):
        return CursorStorage.TIMESTAMP
    if isinstance(field_type, iceberg.DateType):
        return CursorStorage.DATE
    if isinstance(field_type, iceberg.IntegerType | iceberg.LongType):
        return CursorStorage.INTEGER
    if isinstance(field_type, iceberg.StringType):
        return CursorStorage.TEXT
    return None


def window_bound(
    storage: CursorStorage | None, bound: dt.datetime, cursor_format: CursorFormat | None, side: Side
) -> dt.datetime | dt.date | int | str:
    """`bound` as a value of `storage`: aware UTC, naive UTC, date, epoch integer or covering text.

    Raises `CursorBoundError` for a storage that holds no time, an integer cursor without an
    epoch `cursor_format`, or text declared as epoch numbers (text does not sort as numbers).
    """
    utc = bound.astimezone(dt.UTC)
    if storage is CursorStorage.TIMESTAMPTZ:
        return utc
    if storage is CursorStorage.TIMESTAMP:
        return utc.replace(tzinfo=None)
    if storage is CursorStorage.DATE:
        return _ceil_date(utc)
    if storage is CursorStorage.INTEGER:
        units = EPOCH_UNITS_PER_SECOND.get(cursor_format or "")
        if units is None:
            raise CursorBoundError(
                "an integer cursor needs `cursor_format: epoch_seconds` or `epoch_millis` to be "
                "compared with the window's times"
            )
        # Ceiling: the first stored unit at or after the bound.
        return -(-epoch_micros(utc) * units // 1_000_000)
    if storage is CursorStorage.TEXT:
        if cursor_format in EPOCH_UNITS_PER_SECOND:
            raise CursorBoundError(
                f"a text cursor does not sort as {cursor_format} numbers; store it as an integer "
                "or select it cast to one in a `query`"
            )
        covering = utc.date() - _ONE_DAY if side == "start" else _ceil_date(utc) + _ONE_DAY
        return covering.isoformat()
    raise CursorBoundError("the cursor holds no date or time, so it cannot place rows in a time window")


def _ceil_date(utc: dt.datetime) -> dt.date:
    """The first midnight at or after `utc`, as a date."""
    day = utc.date()
    return day if utc == dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) else day + _ONE_DAY
