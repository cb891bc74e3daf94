"""SQLAlchemy column types → Arrow types (the generic mapping; dialect modules refine it)."""

from __future__ import annotations

import pyarrow as pa
import sqlalchemy as sa

from atlas_assets.connectors.errors import PermanentSourceError


def arrow_type_for(column_type: sa.types.TypeEngine, where: str) -> pa.DataType:
    """The Arrow type for a reflected column type; `where` (table.column) names it in errors."""
    t = column_type
    if isinstance(t, sa.Boolean):
        return pa.bool_()
    if isinstance(t, sa.SmallInteger):
        return pa.int32()
    if isinstance(t, sa.BigInteger):
        return pa.int64()
    if isinstance(t, sa.Integer):
        return pa.int64()
    if isinstance(t, sa.Float | sa.REAL):
        return pa.float64()
    if isinstance(t, sa.Numeric):
        if t.precision is not None and t.precision <= 38:
            return pa.decimal128(t.precision, t.scale or 0)
        return pa.float64() if t.asdecimal is False else pa.string()
    if isinstance(t, sa.DateTime):
        return pa.timestamp("us", tz="UTC" if t.timezone else None)
    if isinstance(t, sa.Date):
        return pa.date32()
    if isinstance(t, sa.Time):
        return pa.time64("us")
    if isinstance(t, sa.Interval):
        return pa.duration("us")
    if isinstance(t, sa.Uuid):
        return pa.string()
    if isinstance(t, sa.JSON):
        return pa.string()
    if isinstance(t, sa.LargeBinary | sa.types._Binary):
        return pa.binary()
    if isinstance(t, sa.String | sa.Enum):
        return pa.string()
    if isinstance(t, sa.types.NullType):
        return pa.string()
    raise PermanentSourceError(
        f"column {where} has type {t!r}, which has no Arrow mapping; "
        "select it cast to text in a `query`, or leave it out with `columns`"
    )
