"""Iceberg row filters for the rows a run replaces."""

from __future__ import annotations

import datetime as dt

from pyiceberg.expressions import AlwaysTrue, And, BooleanExpression, GreaterThanOrEqual, In, LessThan
from pyiceberg.schema import Schema
from pyiceberg.types import DateType, TimestamptzType

from atlas_assets.connectors.contract import TimeWindow


def window_filter(schema: Schema, column: str, window: TimeWindow) -> BooleanExpression:
    """`start <= column < end`, with the bounds written in the column's own type."""
    field_type = schema.find_field(column).field_type
    start, end = (_literal(field_type, bound) for bound in (window.start, window.end))
    return And(GreaterThanOrEqual(column, start), LessThan(column, end))


def partition_filter(column: str, keys: tuple[str, ...]) -> BooleanExpression:
    """Rows stored under any of the given partition keys."""
    return In(column, set(keys)) if keys else AlwaysTrue()


def _literal(field_type: object, bound: dt.datetime) -> str:
    utc = bound.astimezone(dt.UTC)
    if isinstance(field_type, DateType):
        return utc.date().isoformat()
    if isinstance(field_type, TimestamptzType):
        return utc.isoformat()
    return utc.replace(tzinfo=None).isoformat()
