"""Sampling what a run wrote for a PII scan: string columns, deterministic rows, distinct values."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

LINEAGE_PREFIX = "_atlas_"

MAX_TEXT_CHARS = 2_000
"""Longer values are cut before analysis: a JSON blob or a document would otherwise dominate the scan."""


_TEXT_TYPES = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)


@dataclass(frozen=True)
class ColumnSample:
    """The distinct non-empty values of one sampled column and how many sampled rows hold each."""

    column: str
    values: pa.Array  # string, distinct
    counts: np.ndarray  # rows per value
    rows: int  # sampled rows with a non-empty value

    @property
    def distinct(self) -> int:
        return len(self.values)


def is_text(arrow_type: pa.DataType) -> bool:
    """Whether a column holds text a scan should read (dictionary-encoded text included)."""
    if pa.types.is_dictionary(arrow_type):
        return is_text(arrow_type.value_type)
    return any(check(arrow_type) for check in _TEXT_TYPES)


def scannable_columns(schema: pa.Schema, skip: set[str]) -> list[str]:
    """Text columns that are neither lineage columns nor in `skip`."""
    return [
        field.name
        for field in schema
        if is_text(field.type) and not field.name.startswith(LINEAGE_PREFIX) and field.name not in skip
    ]


def sample_table(data: pa.Table, columns: list[str], rows: int, seed_text: str) -> pa.Table:
    """`rows` rows of `columns`, the same ones every time for the same data and `seed_text`.

    Rows are drawn uniformly without replacement (sorted, so reads stay sequential); a table
    no larger than `rows` is taken whole.
    """
    selected = data.select(columns)
    if selected.num_rows <= rows:
        return selected
    rng = np.random.default_rng(zlib.crc32(seed_text.encode()))
    indices = np.sort(rng.choice(selected.num_rows, size=rows, replace=False))
    return selected.take(pa.array(indices))


def column_sample(table: pa.Table, column: str) -> ColumnSample:
    """Distinct non-blank values of `column` (cut to `MAX_TEXT_CHARS`) with their row counts."""
    values = table.column(column)
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    values = pc.cast(values, pa.string()).combine_chunks()
    values = pc.utf8_slice_codeunits(values, 0, MAX_TEXT_CHARS)
    non_blank = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(values)), 0)
    values = values.filter(pc.fill_null(non_blank, False))
    if len(values) == 0:
        return ColumnSample(column, pa.array([], pa.string()), np.zeros(0, dtype=np.int64), 0)
    counted = pc.value_counts(values)
    return ColumnSample(
        column=column,
        values=counted.field("values"),
        counts=counted.field("counts").to_numpy(zero_copy_only=False).astype(np.int64),
        rows=len(values),
    )
