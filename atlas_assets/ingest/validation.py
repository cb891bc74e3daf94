"""Row validation: rows that break the object's contract are set aside with a reason, never dropped."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.connectors.window_bounds import Side, arrow_storage, window_bound
from atlas_assets.ingest.type_coercion import cast_or_mask


@dataclass(frozen=True)
class ValidationRules:
    """What every written row must satisfy."""

    primary_key: tuple[str, ...] = ()
    cursor: str | None = None
    window: TimeWindow | None = None
    after: Any = None
    column_types: dict[str, pa.DataType] = field(default_factory=dict)
    unique_key: bool = False


@dataclass(frozen=True)
class ValidatedBatch:
    """The rows that pass, and the rejected ones as (row JSON, reason)."""

    good: pa.RecordBatch
    rejected_rows: list[str]
    reasons: list[str]
    rejected_cursors: list[Any]


class RowValidator:
    """Applies `ValidationRules` batch by batch; remembers keys across batches for uniqueness."""

    def __init__(self, rules: ValidationRules):
        self.rules = rules
        self._seen_keys: set[tuple[Any, ...]] = set()

    def validate(self, batch: pa.RecordBatch) -> ValidatedBatch:
        original = batch  # quarantine keeps values as the source sent them, before coercion
        reasons = pa.nulls(batch.num_rows, pa.string())
        batch, reasons = self._coerce(batch, reasons)
        for key in self.rules.primary_key:
            reasons = _flag(reasons, pc.is_null(batch.column(key)), f"primary key column {key!r} is null")
        if self.rules.cursor is not None:
            reasons = self._check_cursor(batch, reasons)
        if self.rules.unique_key and self.rules.primary_key:
            reasons = self._flag_repeated_keys(batch, reasons)
        bad = pc.is_valid(reasons)
        if not pc.any(bad).as_py():
            return ValidatedBatch(batch, [], [], [])
        rejected = original.filter(bad)
        cursor = self.rules.cursor
        cursors = batch.filter(bad).column(cursor).to_pylist() if cursor else [None] * rejected.num_rows
        return ValidatedBatch(
            good=batch.filter(pc.invert(bad)),
            rejected_rows=[json.dumps(row, default=str, sort_keys=True) for row in rejected.to_pylist()],
            reasons=reasons.filter(bad).to_pylist(),
            rejected_cursors=cursors,
        )

    def _coerce(self, batch: pa.RecordBatch, reasons: pa.Array) -> tuple[pa.RecordBatch, pa.Array]:
        for name, target in self.rules.column_types.items():
            if name not in batch.schema.names:
                continue
            index = batch.schema.get_field_index(name)
            cast, failed = cast_or_mask(batch.column(index), target)
            if failed is not None:
                reasons = _flag(reasons, failed, f"column {name!r} value does not parse as {target}")
            batch = batch.set_column(index, pa.field(name, target), cast)
        return batch, reasons

    def _check_cursor(self, batch: pa.RecordBatch, reasons: pa.Array) -> pa.Array:
        name = self.rules.cursor
        assert name is not None
        cursor = batch.column(name)
        reasons = _flag(reasons, pc.is_null(cursor), f"cursor column {name!r} is null")
        window = self.rules.window
        if window is not None and _comparable(cursor.type):
            start = _scalar_for(cursor.type, window.start, "start")
            end = _scalar_for(cursor.type, window.end, "end")
            outside = pc.or_(pc.less(cursor, start), pc.greater_equal(cursor, end))
            reasons = _flag(reasons, outside, f"cursor {name!r} is outside the run's window {window}")
        if self.rules.after is not None:
            stale = pc.less_equal(cursor, pa.scalar(self.rules.after, type=cursor.type))
            reasons = _flag(reasons, stale, f"cursor {name!r} is not after the stored high-water mark")
        return reasons

    def _flag_repeated_keys(self, batch: pa.RecordBatch, reasons: pa.Array) -> pa.Array:
        # Upserts read newest first, so the first row per key is the one to keep.
        keys = zip(*(batch.column(k).to_pylist() for k in self.rules.primary_key), strict=True)
        already_bad = pc.is_valid(reasons).to_pylist()
        repeated = []
        for key, bad in zip(keys, already_bad, strict=True):
            if bad:
                repeated.append(False)
                continue
            repeated.append(key in self._seen_keys)
            self._seen_keys.add(key)
        message = "superseded: a newer row with the same primary key was kept"
        return _flag(reasons, pa.array(repeated, type=pa.bool_()), message)


def _flag(reasons: pa.Array, mask: pa.Array, reason: str) -> pa.Array:
    """Record `reason` for rows in `mask` that have no reason yet (the first failure wins)."""
    mask = pc.fill_null(mask, False)
    return pc.if_else(pc.and_(mask, pc.is_null(reasons)), pa.scalar(reason), reasons)


def _comparable(arrow_type: pa.DataType) -> bool:
    return pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)


def _scalar_for(arrow_type: pa.DataType, bound: dt.datetime, side: Side) -> pa.Scalar:
    """A window bound in the cursor's own type."""
    return pa.scalar(window_bound(arrow_storage(arrow_type), bound, None, side), type=arrow_type)
