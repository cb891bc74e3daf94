"""Salesforce records as Arrow batches typed by `describe()`, from REST JSON or Bulk 2.0 CSV.

Both paths first hold each field as text (REST values are written back to text as Salesforce
sent them: decimals exactly, via `parse_float=Decimal`), then type every column the same way
(`typed_column`), so a window read by REST and one read by Bulk land identical columns. A column
holding a value that does not fit its type stays text for that batch (validation then sets the
row aside), rather than losing the value.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from atlas_assets.connectors.files.parsing import text_csv_batches
from atlas_assets.connectors.saas.salesforce.catalog import SalesforceField


def rest_batch(records: list[dict[str, Any]], fields: Mapping[str, SalesforceField]) -> pa.RecordBatch:
    """REST query records (`attributes` dropped) as one batch of the selected fields."""
    columns = {
        name: typed_column(pa.array([_text(r.get(name)) for r in records], pa.string()), field)
        for name, field in fields.items()
    }
    return pa.RecordBatch.from_pydict(columns)


def csv_batches(
    data: bytes, fields: Mapping[str, SalesforceField], batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """A Bulk 2.0 result page (CSV, header of field names, empty cell = null) as typed batches."""
    for batch in text_csv_batches(data, batch_rows):
        names = batch.schema.names
        columns = {}
        for name, field in fields.items():
            # Bulk writes relationship-free field names as selected; match them case-insensitively.
            index = next((i for i, n in enumerate(names) if n.lower() == name.lower()), None)
            text = batch.column(index) if index is not None else pa.nulls(batch.num_rows, pa.string())
            columns[name] = typed_column(text, field)
        yield pa.RecordBatch.from_pydict(columns)


def typed_column(text: pa.Array, field: SalesforceField) -> pa.Array:
    """`text` in the field's Arrow type, or as text when a value does not fit."""
    target = field.arrow_type
    if pa.types.is_string(target):
        return text
    if pa.types.is_time(target):
        return _parsed(text, target, lambda v: dt.time.fromisoformat(v.removesuffix("Z")))
    try:
        return pc.cast(text, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    if pa.types.is_decimal(target):
        # Exact or not at all: a value with more digits than the scale stays text.
        quantum = decimal.Decimal(1).scaleb(-target.scale)
        exact = decimal.ROUND_UNNECESSARY
        return _parsed(text, target, lambda v: decimal.Decimal(v).quantize(quantum, exact))
    if pa.types.is_timestamp(target):
        return _parsed(text, target, lambda v: dt.datetime.fromisoformat(v).astimezone(dt.UTC))
    return text


def _parsed(text: pa.Array, target: pa.DataType, parse: Callable[[str], Any]) -> pa.Array:
    try:
        return pa.array([None if v is None else parse(v) for v in text.to_pylist()], type=target)
    except (ValueError, ArithmeticError, pa.ArrowInvalid, OverflowError):
        return text


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        # A relationship or compound value selected by name: kept as its JSON text.
        return json.dumps(value, default=str)
    return str(value)
