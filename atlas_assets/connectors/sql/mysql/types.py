"""MySQL/MariaDB column types → column codecs (exact Arrow types, parsed from the text protocol).

Sessions run with `time_zone = '+00:00'` (see `mysql.py`). Choices worth knowing:

- `tinyint(1)` → bool (MySQL's BOOLEAN); any non-zero value is true.
- unsigned ints widen to the next signed type; `bigint unsigned` → decimal128(20, 0).
- `datetime` → naive timestamp[us]; `timestamp` (stored in UTC) → timestamp[us, UTC].
- `time` → time64[us] (values outside 00:00-24:00 fail with a clear error); `year` → int32.
- `decimal(p, s)` with p ≤ 38 → decimal128(p, s), wider → string (exact).
- `json` (MariaDB stores it as longtext), enum, set → string; binary/blob → binary.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from atlas_assets.connectors.sql.codecs import (
    ColumnCodec,
    direct,
    naive_as_utc,
    nonzero,
    numeric_codec,
    text_to_time,
)


def mysql_codec(column_type: sa.types.TypeEngine[Any]) -> ColumnCodec | None:
    """The codec for a reflected MySQL/MariaDB column type, or None when the type has no mapping."""
    t = column_type
    unsigned = bool(getattr(t, "unsigned", False))
    if isinstance(t, mysql.TINYINT):
        if t.display_width == 1 and not unsigned:
            return ColumnCodec(pa.bool_(), parse_type=pa.int8(), finish=nonzero)
        return direct(pa.int32())
    if isinstance(t, sa.Boolean):
        return ColumnCodec(pa.bool_(), parse_type=pa.int8(), finish=nonzero)
    if isinstance(t, mysql.YEAR):
        return direct(pa.int32())
    if isinstance(t, sa.BigInteger):
        return direct(pa.decimal128(20, 0) if unsigned else pa.int64())
    if isinstance(t, sa.SmallInteger | mysql.MEDIUMINT):  # unsigned values still fit in int32
        return direct(pa.int32())
    if isinstance(t, sa.Integer):
        return direct(pa.int64())
    if isinstance(t, mysql.FLOAT):
        return direct(pa.float32())
    if isinstance(t, sa.Float):
        return direct(pa.float64())
    if isinstance(t, sa.Numeric):
        return numeric_codec(t)
    if isinstance(t, mysql.TIMESTAMP):
        return ColumnCodec(pa.timestamp("us", tz="UTC"), parse_type=pa.timestamp("us"), finish=naive_as_utc)
    if isinstance(t, sa.DateTime):
        return direct(pa.timestamp("us"))
    if isinstance(t, sa.Date):
        return direct(pa.date32())
    if isinstance(t, sa.Time):
        return ColumnCodec(pa.time64("us"), parse_type=pa.string(), finish=text_to_time)
    if isinstance(t, sa.LargeBinary | sa.types._Binary):
        return direct(pa.binary())
    if isinstance(t, sa.String | sa.Enum | mysql.SET | sa.JSON):
        return direct(pa.string())
    return None
