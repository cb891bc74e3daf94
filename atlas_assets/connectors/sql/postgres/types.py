"""PostgreSQL column types → column codecs (exact Arrow types, parsed from PostgreSQL's text output).

Sessions run with `TimeZone=UTC`, `DateStyle=ISO` and `IntervalStyle=postgres` (see
`postgres.py`), so the text forms below are fixed. Choices worth knowing:

- `numeric(p, s)` with p ≤ 38 → decimal128(p, s); unconstrained `numeric` (or p > 38) → string,
  which is exact (Iceberg decimals stop at 38 digits and an unconstrained numeric has no scale);
  declare `column_types` or cast in a `query` to get a decimal.
- `interval` → duration[us], counting a month as 30 days (as `EXTRACT(EPOCH ...)` does).
- `uuid`, `json`, `jsonb`, enums, `inet`/`cidr`/`macaddr` → string (JSON as its text).
- arrays of any mapped scalar → list<that type> (one dimension).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from atlas_assets.connectors.sql.codecs import (
    ColumnCodec,
    direct,
    hex_to_binary,
    json_text_list,
    micros_to_duration,
    numeric_codec,
    text_to_bool,
    text_to_time,
)

_STRING = direct(pa.string())
_TEXT_LIKE = (
    sa.String,
    sa.Enum,
    pg.INET,
    pg.CIDR,
    pg.MACADDR,
    pg.UUID,
    sa.Uuid,
    sa.JSON,
    pg.JSONB,
    pg.CITEXT,
)


def postgres_codec(column_type: sa.types.TypeEngine[Any]) -> ColumnCodec | None:
    """The codec for a reflected PostgreSQL column type, or None when the type has no mapping."""
    t = column_type
    if isinstance(t, pg.ARRAY):
        element = postgres_codec(t.item_type)
        if element is None or isinstance(element.arrow_type, pa.ListType):
            return None
        return ColumnCodec(
            pa.list_(element.arrow_type),
            parse_type=pa.string(),
            finish=json_text_list(element),
            # Each element's own text output, as a JSON array: exact, and null-safe.
            select_as=lambda c: sa.cast(sa.func.array_to_json(sa.cast(c, pg.ARRAY(sa.Text))), sa.Text),
        )
    if isinstance(t, sa.Boolean):
        return ColumnCodec(pa.bool_(), parse_type=pa.string(), finish=text_to_bool)
    if isinstance(t, sa.SmallInteger):
        return direct(pa.int32())
    if isinstance(t, sa.Integer):  # integer, bigint, oid
        return direct(pa.int64())
    if isinstance(t, pg.REAL):
        return direct(pa.float32())
    if isinstance(t, sa.Float):
        return direct(pa.float64())
    if isinstance(t, sa.Numeric):
        return numeric_codec(t)
    if isinstance(t, sa.DateTime):
        return direct(pa.timestamp("us", tz="UTC" if t.timezone else None))
    if isinstance(t, sa.Date):
        return direct(pa.date32())
    if isinstance(t, sa.Time):
        return (
            None if t.timezone else ColumnCodec(pa.time64("us"), parse_type=pa.string(), finish=text_to_time)
        )
    if isinstance(t, sa.Interval | pg.INTERVAL):
        return ColumnCodec(
            pa.duration("us"),
            parse_type=pa.int64(),
            finish=micros_to_duration,
            select_as=lambda c: sa.cast(sa.func.extract("epoch", c) * 1_000_000, sa.BigInteger),
        )
    if isinstance(t, sa.LargeBinary):
        return ColumnCodec(pa.binary(), parse_type=pa.string(), finish=hex_to_binary("\\x"))
    if isinstance(t, _TEXT_LIKE):
        return _STRING
    return None
