"""Making a batch match the table's Arrow schema exactly: order, types, missing columns."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from atlas_assets.connectors.arrow import iceberg_compatible_type

INTERVAL_DOC = "interval as integer microseconds (a month counts as 30 days, a day as 24 hours)"
"""Iceberg has no interval type; this doc on the field says what its `long` holds."""


class ConformError(ValueError):
    """A value cannot be represented in the table's column type."""


def normalize(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Cast to types Iceberg can store (µs timestamps, signed ints, plain strings)."""
    arrays, fields = [], []
    for column, source in zip(batch.columns, batch.schema, strict=True):
        target = iceberg_compatible_type(source.type)
        if target != source.type:
            column = _cast_normalized(column, target)
        arrays.append(column)
        metadata = {b"doc": INTERVAL_DOC} if pa.types.is_duration(source.type) else source.metadata
        fields.append(pa.field(source.name, target, metadata=metadata))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def conform(batch: pa.RecordBatch, target: pa.Schema, where: str) -> pa.RecordBatch:
    """Reorder, cast and null-fill `batch` into `target` (which carries Iceberg field ids)."""
    arrays = []
    for field in target:
        if field.name not in batch.schema.names:
            arrays.append(pa.nulls(batch.num_rows, field.type))
            continue
        column = batch.column(field.name)
        if column.type != field.type:
            try:
                column = pc.cast(column, field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ConformError(
                    f"{where}: column {field.name!r} of type {column.type} "
                    f"cannot be written as {field.type}: {exc}"
                ) from None
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def _cast_normalized(column: pa.Array, target: pa.DataType) -> pa.Array:
    if pa.types.is_duration(column.type):
        # Durations are stored as integer microseconds.
        return pc.cast(pc.cast(column, pa.duration("us")), pa.int64())
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    return pc.cast(column, target)
