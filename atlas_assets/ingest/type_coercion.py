"""Casting columns to declared types, finding exactly which values do not fit."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from atlas_assets.connectors.arrow import lenient_cast


def cast_or_mask(column: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array | None]:
    """`column` cast to `target`, and a mask of the values that could not be cast (now null).

    The mask is None when every value fits, so clean batches skip the quarantine path.
    """
    if column.type == target:
        return column, None
    source = pc.utf8_trim_whitespace(column) if pa.types.is_string(column.type) else column
    cast = lenient_cast(source, target)
    failed = pc.and_(pc.is_valid(source), pc.is_null(cast))
    return cast, failed if pc.any(failed).as_py() else None
