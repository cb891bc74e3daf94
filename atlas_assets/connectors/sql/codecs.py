"""Column codecs: how a database column's text form becomes exact Arrow values, column-wise.

The fast database paths never build Python objects per value. PostgreSQL COPY yields CSV that
pyarrow parses in C++; MySQL's unbuffered cursor yields raw strings. Either way each column
arrives as text (or bytes), and a `ColumnCodec` says how to turn that column into its final
Arrow type: a vectorised cast from text (`parse_type`), then an optional `finish` step for the
few types Arrow cannot cast from text directly (time of day, PostgreSQL booleans, hex bytea,
arrays, intervals).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from atlas_assets.connectors.errors import PermanentSourceError

Finish = Callable[[pa.Array], pa.Array]
SelectAs = Callable[[sa.ColumnElement[Any]], sa.ColumnElement[Any]]


@dataclass(frozen=True)
class ColumnCodec:
    """How one column is selected, parsed from text and finished into `arrow_type`.

    `select_as` rewrites the selected expression server-side into a text form that is cheap to
    parse (e.g. an interval as integer microseconds); `parse_type` is what that text casts to
    in C++ (CSV reader or `pyarrow.compute.cast`); `finish` maps `parse_type` to `arrow_type`.
    """

    arrow_type: pa.DataType
    parse_type: pa.DataType | None = None
    finish: Finish | None = None
    select_as: SelectAs | None = None

    @property
    def text_type(self) -> pa.DataType:
        """The type the raw text is parsed into (the final type unless a finish step follows)."""
        return self.parse_type if self.parse_type is not None else self.arrow_type


def direct(arrow_type: pa.DataType) -> ColumnCodec:
    """A type Arrow parses straight from its text form (ints, floats, decimals, dates, timestamps)."""
    return ColumnCodec(arrow_type)


def numeric_codec(column_type: sa.Numeric[Any]) -> ColumnCodec:
    """Exact decimals up to 38 digits keep precision and scale; wider or unconstrained stay text."""
    if column_type.precision is not None and column_type.precision <= 38:
        return direct(pa.decimal128(column_type.precision, column_type.scale or 0))
    return direct(pa.string())


def decode_text_column(values: pa.Array, codec: ColumnCodec) -> pa.Array:
    """A column of raw text (or bytes) → `codec.arrow_type`; `values` may already be `text_type`."""
    if values.type != codec.text_type:
        values = pc.cast(values, codec.text_type)
    if codec.finish is not None:
        values = codec.finish(values)
    return values


def decode_batch(
    columns: Sequence[pa.Array], codecs: Sequence[ColumnCodec], schema: pa.Schema
) -> pa.RecordBatch:
    """Raw text columns → a RecordBatch of exactly `schema`; a value that does not parse names its column."""
    arrays = []
    for values, codec, field in zip(columns, codecs, schema, strict=True):
        try:
            arrays.append(decode_text_column(values, codec))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
            raise PermanentSourceError(
                f"column {field.name!r}: a value does not convert to {field.type} "
                f"({str(exc).splitlines()[0]})"
            ) from None
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def raw_array(values: Sequence[Any], codec: ColumnCodec) -> pa.Array:
    """Driver values (str, bytes or None) of one column → an Arrow string or binary array."""
    return pa.array(values, type=pa.binary() if pa.types.is_binary(codec.text_type) else pa.string())


# --- finish steps shared by dialects -------------------------------------------------------------


def text_to_time(values: pa.Array) -> pa.Array:
    """'HH:MM:SS[.ffffff]' → time64[us]. Arrow has no string→time cast, so parse as a timestamp on day 0."""
    stamped = pc.binary_join_element_wise("1970-01-01 ", values, "")
    micros = pc.cast(pc.cast(stamped, pa.timestamp("us")), pa.int64())
    if pc.any(pc.greater_equal(micros, 86_400_000_000)).as_py():
        raise ValueError("a time of day is 24:00:00 or later")
    return pc.cast(micros, pa.time64("us"))


def text_to_bool(values: pa.Array) -> pa.Array:
    """PostgreSQL booleans: 't'/'f' from COPY, 'true'/'false' when cast to text; nulls stay null."""
    return pc.equal(pc.utf8_slice_codeunits(values, 0, 1), "t")


def naive_as_utc(values: pa.Array) -> pa.Array:
    """Naive timestamps that hold UTC (a session in time zone +00:00) → timestamp[us, UTC]."""
    return pc.cast(values, pa.timestamp("us", tz="UTC"))


def nonzero(values: pa.Array) -> pa.Array:
    """Integers as booleans (MySQL tinyint(1)): 0 is false, anything else true."""
    return pc.not_equal(values, 0)


def micros_to_duration(values: pa.Array) -> pa.Array:
    """Integer microseconds → duration[us]."""
    return pc.cast(values, pa.duration("us"))


def hex_to_binary(prefix: str) -> Finish:
    """Hex text (PostgreSQL bytea output is '\\x' + hex) → binary."""
    skip = len(prefix)

    def finish(values: pa.Array) -> pa.Array:
        # No vectorised hex decoder in Arrow; bytes.fromhex is C and bytea columns are rare.
        return pa.array(
            [None if v is None else bytes.fromhex(v[skip:]) for v in values.to_pylist()], pa.binary()
        )

    return finish


def json_text_list(element: ColumnCodec) -> Finish:
    """A JSON array of element texts (e.g. PostgreSQL `array_to_json(col::text[])`) → list<element>."""

    def finish(values: pa.Array) -> pa.Array:
        lists = [None if v is None else json.loads(v) for v in values.to_pylist()]
        if any(isinstance(item, list) for row in lists if row for item in row):
            raise ValueError("multi-dimensional arrays are not supported; select one dimension in a `query`")
        texts = pa.array(lists, pa.list_(pa.string()))
        items = decode_text_column(texts.values, element)
        return pa.ListArray.from_arrays(texts.offsets, items, mask=texts.is_null())

    return finish


def decode_rows(
    rows: Sequence[Sequence[Any]], codecs: Sequence[ColumnCodec], schema: pa.Schema
) -> pa.RecordBatch:
    """Driver rows of raw text/bytes → a RecordBatch of `schema`, converted column by column in C++."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return decode_batch(
        [raw_array(c, codec) for c, codec in zip(columns, codecs, strict=True)], codecs, schema
    )
