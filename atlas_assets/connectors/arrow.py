"""Arrow helpers shared by every connector: rows → batches, batching, type normalisation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import pyarrow as pa


def rows_to_batch(rows: Sequence[Sequence[Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Tuples (one per row, in schema order) → a RecordBatch of exactly `schema`."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = [pa.array(col, type=field.type, from_pandas=False) for col, field in zip(columns, schema, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of at most `size` items, lazily."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


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
    if pa.types.is_null(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return pa.string()
    if pa.types.is_large_binary(arrow_type) or pa.types.is_binary_view(arrow_type):
        return pa.binary()
    if pa.types.is_duration(arrow_type):
        return pa.int64()
    if pa.types.is_large_list(arrow_type) or pa.types.is_list(arrow_type):
        return pa.list_(iceberg_compatible_type(arrow_type.value_type))
    return arrow_type


def iceberg_compatible_schema(schema: pa.Schema) -> pa.Schema:
    """`schema` with every field mapped by `iceberg_compatible_type`, all nullable."""
    return pa.schema([pa.field(f.name, iceberg_compatible_type(f.type), nullable=True) for f in schema])
