"""Arrow helpers shared by every connector: rows → batches, batching, type normalisation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import reduce
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from atlas_assets.connectors.window_bounds import (
    EPOCH_UNITS_PER_SECOND,
    CursorBoundError,
    CursorFormat,
    CursorStorage,
    Side,
    arrow_storage,
    window_bound,
)


def rows_to_batch(rows: Sequence[Sequence[Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Tuples (one per row, in schema order) → a RecordBatch of exactly `schema`."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = [
        pa.array(col, type=field.type, from_pandas=False) for col, field in zip(columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def rebatch(batches: Iterable[pa.RecordBatch], max_rows: int) -> Iterator[pa.RecordBatch]:
    """Split oversized batches so none exceeds `max_rows` (zero-copy slices)."""
    for batch in batches:
        for offset in range(0, max(batch.num_rows, 1), max_rows):
            yield batch.slice(offset, max_rows)


def iceberg_compatible_type(arrow_type: pa.DataType) -> pa.DataType:
    """The closest Arrow type Iceberg can store: µs timestamps, signed ints, no dictionaries."""
    if pa.types.is_dictionary(arrow_type):
        return iceberg_compatible_type(arrow_type.value_type)
    if pa.types.is_timestamp(arrow_type):
        return pa.timestamp("us", tz="UTC" if arrow_type.tz else None)
    if pa.types.is_time(arrow_type):
        return pa.time64("us")
    if pa.types.is_date64(arrow_type):
        return pa.date32()
    if pa.types.is_uint8(arrow_type) or pa.types.is_uint16(arrow_type) or pa.types.is_int8(arrow_type):
        return pa.int32()
    if pa.types.is_int16(arrow_type):
        return pa.int32()
    if pa.types.is_uint32(arrow_type):
        return pa.int64()
    if pa.types.is_uint64(arrow_type):
        return pa.decimal128(20, 0)
    if pa.types.is_float16(arrow_type):
        return pa.float32()
    if (
        pa.types.is_null(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_string_view(arrow_type)
    ):
        return pa.string()
    if pa.types.is_large_binary(arrow_type) or pa.types.is_binary_view(arrow_type):
        return pa.binary()
    if pa.types.is_duration(arrow_type):
        return pa.int64()
    if pa.types.is_large_list(arrow_type) or pa.types.is_list(arrow_type):
        return pa.list_(iceberg_compatible_type(arrow_type.value_type))
    return arrow_type


UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")


def merged_type(current: pa.DataType, incoming: pa.DataType) -> pa.DataType:
    """The narrowest type holding values of both: how schemas merge across batches and pages.

    Null yields to anything; integers widen to int64, integers and floats to float64; structs
    merge field by field and lists by element; any other disagreement becomes string (text
    holds every value, so nothing is lost).
    """
    if current == incoming or pa.types.is_null(incoming):
        return current
    if pa.types.is_null(current):
        return incoming
    if pa.types.is_integer(current) and pa.types.is_integer(incoming):
        return pa.int64()
    if _is_int_or_float(current) and _is_int_or_float(incoming):
        return pa.float64()
    if pa.types.is_struct(current) and pa.types.is_struct(incoming):
        fields = {field.name: field.type for field in current}
        for field in incoming:
            fields[field.name] = merged_type(fields.get(field.name, pa.null()), field.type)
        return pa.struct([pa.field(name, arrow_type) for name, arrow_type in fields.items()])
    if pa.types.is_list(current) and pa.types.is_list(incoming):
        return pa.list_(merged_type(current.value_type, incoming.value_type))
    return pa.string()


def _is_int_or_float(arrow_type: pa.DataType) -> bool:
    return pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)


def lenient_cast(values: pa.Array, target: pa.DataType) -> pa.Array:
    """`values` cast to `target`, with null wherever a value does not convert, instead of an error.

    Dates and timestamps follow one rule whatever the input: naive timestamps are taken as UTC,
    aware ones are converted to UTC. Clean data costs one vectorised cast; only a batch holding
    a bad value pays for the slower search.
    """
    if values.type == target:
        return values
    try:
        return pc.cast(values, target)
    except pa.ArrowInvalid:
        pass
    if pa.types.is_string(values.type) and (pa.types.is_timestamp(target) or pa.types.is_date(target)):
        # Arrow's ISO parser insists on (or forbids) a zone offset; Python's takes both.
        return pa.array([_parse_instant(v, target) for v in values.to_pylist()], type=target)
    return _cast_bisecting(values, target)


def cursor_mask(
    cursor: pa.Array,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    after: Any = None,
    cursor_format: CursorFormat | None = None,
) -> pa.BooleanArray:
    """True for rows whose cursor is in [start, end) and greater than `after`, and for null cursors.

    Rows with a null (or unparseable) cursor are kept so validation can set them aside: a
    filter must never drop them silently. Window bounds are written in the cursor's own
    representation (`window_bounds`); text cursors compare as the UTC instants they spell.
    `after` (a high-water mark) compares as a number with numeric cursors, else as an instant.
    Raises `ValueError` when the cursor and a bound cannot be compared.
    """
    conditions = []
    if start is not None or end is not None:
        values, storage = cursor, arrow_storage(cursor.type)
        if storage is CursorStorage.TEXT:
            values, storage = lenient_cast(cursor, UTC_TIMESTAMP), CursorStorage.TIMESTAMPTZ
        sides: tuple[tuple[Side, dt.datetime | None, Any], ...] = (
            ("start", start, pc.greater_equal),
            ("end", end, pc.less),
        )
        for side, bound, compare in sides:
            if bound is not None:
                value = window_bound(storage, bound, cursor_format, side)
                conditions.append(compare(values, pa.scalar(value, type=values.type)))
    if after is not None:
        conditions.append(_after_mask(cursor, after))
    if not conditions:
        return pc.fill_null(pa.nulls(len(cursor), pa.bool_()), True)
    return pc.fill_null(reduce(pc.and_, conditions), True)


def cursor_instants(values: pa.Array, cursor_format: CursorFormat | None) -> pa.Array:
    """A text or epoch cursor as UTC timestamps, null where a value spells no instant.

    Text is ISO 8601 (either separator, any zone offset, naive meaning UTC) unless
    `cursor_format` says epoch numbers; integers need an epoch `cursor_format`. Timestamps and
    dates are returned as they are.
    """
    storage = arrow_storage(values.type)
    units = EPOCH_UNITS_PER_SECOND.get(cursor_format or "")
    if storage is CursorStorage.TEXT and units is None:
        return lenient_cast(values, UTC_TIMESTAMP)
    if storage not in (CursorStorage.TEXT, CursorStorage.INTEGER):
        return values
    if units is None:
        raise CursorBoundError(
            "an integer cursor needs `cursor_format: epoch_seconds` or `epoch_millis` to be read as times"
        )
    numbers = lenient_cast(values, pa.int64())
    return pc.multiply_checked(numbers, 1_000_000 // units).cast(UTC_TIMESTAMP)


def _after_mask(cursor: pa.Array, after: Any) -> pa.Array:
    if _compares_as_number(cursor.type, [after]):
        numeric = _is_numeric_type(cursor.type)
        values = cursor if numeric else lenient_cast(cursor, _number_type([after]))
        return pc.greater(values, _number(after))
    if _is_numeric_type(cursor.type):
        raise ValueError(f"a {cursor.type} cursor cannot be compared with a date or time")
    values = lenient_cast(cursor, UTC_TIMESTAMP)
    return pc.greater(values, pa.scalar(utc_instant(after), type=UTC_TIMESTAMP))


def utc_instant(value: Any) -> dt.datetime:
    """A date, datetime or ISO 8601 string as an aware UTC datetime (naive means UTC)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.strip())
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise ValueError(f"{value!r} is not a date or time")


def _parse_instant(text: str | None, target: pa.DataType) -> dt.date | dt.datetime | None:
    if text is None:
        return None
    try:
        if pa.types.is_date(target):
            return dt.date.fromisoformat(text.strip())
        instant = utc_instant(text)
    except ValueError:
        return None
    return instant if target.tz is not None else instant.replace(tzinfo=None)


def _cast_bisecting(values: pa.Array, target: pa.DataType) -> pa.Array:
    """Cast halves recursively so only the values that fail become null: about bad·log(n) casts."""
    try:
        return pc.cast(values, target)
    except pa.ArrowInvalid:
        if len(values) <= 1:
            return pa.nulls(len(values), target)
    middle = len(values) // 2
    return pa.concat_arrays(
        [_cast_bisecting(values.slice(0, middle), target), _cast_bisecting(values.slice(middle), target)]
    )


def _is_numeric_type(arrow_type: pa.DataType) -> bool:
    types = pa.types
    return types.is_integer(arrow_type) or types.is_floating(arrow_type) or types.is_decimal(arrow_type)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _compares_as_number(cursor_type: pa.DataType, bounds: list[Any]) -> bool:
    if _is_numeric_type(cursor_type):
        return True
    return pa.types.is_string(cursor_type) and all(_is_number(b) for b in bounds)


def _number_type(bounds: Iterable[Any]) -> pa.DataType:
    return pa.int64() if all(isinstance(b, int) for b in bounds) else pa.float64()


def _number(value: Any) -> Any:
    if _is_number(value):
        return float(value) if isinstance(value, Decimal) else value
    if isinstance(value, str):
        return float(value.strip())
    raise ValueError(f"{value!r} is not a number, so it cannot bound a numeric cursor")
