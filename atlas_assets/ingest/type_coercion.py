"""Casting columns to declared types, finding exactly which values do not fit."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def cast_or_mask(column: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array | None]:
    """`column` cast to `target`, and a boolean mask of values that could not be cast (nulled).

    The fast path is one vectorised cast; only a batch with a bad value pays for the
    per-value search, so clean data runs at Arrow speed.
    """
    if column.type == target:
        return column, None
    source = pc.utf8_trim_whitespace(column) if pa.types.is_string(column.type) else column
    try:
        return pc.cast(source, target), None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    failed = [value.is_valid and not _fits(value, target) for value in source]
    mask = pa.array(failed, type=pa.bool_())
    cleaned = pc.if_else(mask, pa.scalar(None, type=source.type), source)
    return pc.cast(cleaned, target), mask


def _fits(value: pa.Scalar, target: pa.DataType) -> bool:
    try:
        value.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True
