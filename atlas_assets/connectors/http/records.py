"""Records → Arrow: JSON-like dicts from any API become RecordBatches under a schema merged across pages.

Shared by every HTTP connector (the generic `rest` kind, Stripe, HubSpot, ...)::

    batcher = RecordBatcher(RecordOptions(batch_size=50_000, timestamps={"created": "epoch_seconds"}))
    yield from batcher.batches(records)          # records: any iterable of dicts, across all pages

What it guarantees:

- batches hold at most `batch_size` rows, so memory is bounded by the batch, not the extraction;
- a field first seen on a later page becomes a column from that batch on (earlier batches lack
  it; the table writer adds the column in the run's commit), and a known field missing from a
  batch is null there: nothing is dropped;
- a field whose values disagree in type takes the merged type (`merged_type`: int → double,
  anything else → string); the change shows in the run's `atlas/schema_changes`;
- a field null everywhere so far is held back until a typed value shows what it is;
- declared `column_types` win: such a column is yielded in that type, or as text when a value
  does not fit (validation then quarantines those rows);
- nested objects and arrays are JSON text by default (`nested="json"`) or Arrow structs and
  lists (`nested="struct"`);
- columns named in `timestamps` become UTC timestamps from ISO-8601 text or epoch numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from atlas_assets.connectors.arrow import UTC_TIMESTAMP, lenient_cast, merged_type
from atlas_assets.connectors.contract import DEFAULT_BATCH_SIZE
from atlas_assets.connectors.window_bounds import EPOCH_UNITS_PER_SECOND, CursorFormat

NestedMode = Literal["json", "struct"]
TimestampFormat = CursorFormat
"""How a field encodes an instant: the `cursor_format` vocabulary every source kind shares."""


@dataclass(frozen=True)
class RecordOptions:
    """How records become Arrow columns.

    `timestamps` maps a field to how its values encode an instant: ISO-8601 text is parsed
    whatever the format says; numbers are epoch seconds, or milliseconds for `epoch_millis`.
    """

    batch_size: int = DEFAULT_BATCH_SIZE
    column_types: Mapping[str, pa.DataType] = field(default_factory=dict)
    nested: NestedMode = "json"
    timestamps: Mapping[str, TimestampFormat] = field(default_factory=dict)


class RecordBatcher:
    """Turns records into RecordBatches, remembering the merged schema of everything seen so far.

    One batcher per extraction: its schema only grows (new fields, wider types) from batch to batch.
    """

    def __init__(self, options: RecordOptions):
        self.options = options
        self._types: dict[str, pa.DataType] = {}

    @property
    def schema(self) -> pa.Schema:
        """The merged schema of every batch yielded so far."""
        return pa.schema(list(self._types.items()))

    def batches(self, records: Iterable[Mapping[str, Any]]) -> Iterator[pa.RecordBatch]:
        """`records` in batches of at most `batch_size` rows (no empty batch)."""
        rows: list[Mapping[str, Any]] = []
        for record in records:
            rows.append(record)
            if len(rows) >= self.options.batch_size:
                yield self.to_batch(rows)
                rows = []
        if rows:
            yield self.to_batch(rows)

    def to_batch(self, rows: list[Mapping[str, Any]]) -> pa.RecordBatch:
        """One batch of `rows`: every known field (null where absent) plus the fields they add."""
        names = dict.fromkeys(self._types)
        for row in rows:
            names.update(dict.fromkeys(row))
        arrays: list[pa.Array] = []
        fields: list[pa.Field] = []
        for name in names:
            values = [row.get(name) for row in rows]
            array = self._column(name, values)
            if array is None:
                continue
            arrays.append(array)
            fields.append(pa.field(name, array.type))
        if not fields:  # rows whose every field is null so far still count
            return pa.RecordBatch.from_struct_array(pa.array([{}] * len(rows), type=pa.struct([])))
        return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))

    def _column(self, name: str, values: list[Any]) -> pa.Array | None:
        options = self.options
        if name in options.timestamps:
            self._types[name] = UTC_TIMESTAMP
            return timestamps(values, options.timestamps[name])
        declared = options.column_types.get(name)
        if declared is not None:
            self._types[name] = declared
            try:
                return pa.array(values, type=declared)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                return pa.array(as_text(values), type=pa.string())
        array = infer(values, options.nested)
        known = self._types.get(name, pa.null())
        target = merged_type(known, array.type)
        if pa.types.is_null(target):
            return None  # null everywhere so far: its type is still unknown
        self._types[name] = target
        if array.type == target:
            return array
        if pa.types.is_string(target):
            return pa.array(as_text(values), type=pa.string())
        return pa.array(values, type=target)


def infer(values: list[Any], nested: NestedMode = "json") -> pa.Array:
    """Values as the Arrow array Arrow infers; text when they disagree or nest (unless `struct`)."""
    # The few distinct types of a column, found in C: nested JSON text skips building structs.
    if nested == "json" and any(issubclass(kind, dict | list) for kind in set(map(type, values))):
        return pa.array(as_text(values), type=pa.string())
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array(as_text(values), type=pa.string())


def as_text(values: list[Any]) -> list[str | None]:
    """Strings as they are, everything else as its compact JSON text (`true`, `12.5`, `{"a":1}`)."""
    return [value if value is None or isinstance(value, str) else _json_text(value) for value in values]


def _json_text(value: Any) -> str:
    # msgspec writes ~10x faster than json.dumps, and nested columns are text by default.
    return msgspec.json.encode(value).decode()


def timestamps(values: list[Any], encoding: TimestampFormat) -> pa.Array:
    """UTC µs timestamps from ISO-8601 text or epoch numbers; null where a value is neither."""
    numbers = [v if isinstance(v, int | float) and not isinstance(v, bool) else None for v in values]
    texts = [v if isinstance(v, str) else None for v in values]
    parsed = lenient_cast(pa.array(texts, type=pa.string()), UTC_TIMESTAMP)
    if not any(n is not None for n in numbers):
        return parsed
    micros = pc.multiply(
        pa.array(numbers, type=pa.float64()), 1_000_000 / EPOCH_UNITS_PER_SECOND.get(encoding, 1)
    )
    from_numbers = pc.cast(pc.round(micros), pa.int64()).cast(UTC_TIMESTAMP)
    return pc.coalesce(from_numbers, parsed)
