"""Iceberg row filters for the rows a run replaces."""

from __future__ import annotations

from pyiceberg.expressions import AlwaysTrue, And, BooleanExpression, GreaterThanOrEqual, In, LessThan
from pyiceberg.schema import Schema

from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.connectors.window_bounds import (
    CursorBoundError,
    CursorStorage,
    iceberg_storage,
    window_bound,
)


def window_filter(schema: Schema, column: str, window: TimeWindow) -> BooleanExpression:
    """`start <= column < end`, with the bounds written in the column's own type.

    Connectors store a time cursor as a timestamp or a date (text and epoch cursors are
    converted on extraction), so those are the types a window can be cut from.
    """
    field_type = schema.find_field(column).field_type
    storage = iceberg_storage(field_type)
    if storage not in (CursorStorage.TIMESTAMPTZ, CursorStorage.TIMESTAMP, CursorStorage.DATE):
        raise CursorBoundError(
            f"cursor column {column!r} is stored as {field_type} in the Iceberg table, so its rows cannot "
            "be placed in time windows; it must hold timestamps or dates (a table written before text "
            "and epoch cursors were converted must be dropped and re-ingested)"
        )
    start = window_bound(storage, window.start, None, "start")
    end = window_bound(storage, window.end, None, "end")
    return And(GreaterThanOrEqual(column, start.isoformat()), LessThan(column, end.isoformat()))


def partition_filter(column: str, keys: tuple[str, ...]) -> BooleanExpression:
    """Rows stored under any of the given partition keys."""
    return In(column, set(keys)) if keys else AlwaysTrue()
