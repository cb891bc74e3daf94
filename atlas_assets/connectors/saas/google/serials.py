"""Sheets serial numbers as dates and times.

With `UNFORMATTED_VALUE` and `dateTimeRenderOption=SERIAL_NUMBER`, a date cell arrives as the
days since 1899-12-30 (the fraction is the time of day), in the spreadsheet's own timezone
(`properties.timeZone`); which cells are dates is told by their number format only.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

EPOCH = dt.datetime(1899, 12, 30)
DATE_FORMATS = frozenset({"DATE", "DATE_TIME", "TIME"})
"""The `numberFormat.type`s whose numbers are serials."""


def from_serial(value: Any, number_format: str | None, zone: ZoneInfo) -> Any:
    """`value` as a date (DATE), a UTC datetime (DATE_TIME) or a time of day (TIME); any other value
    (text in a date column, a number in a number column) as it is."""
    if number_format not in DATE_FORMATS or isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if not math.isfinite(value):
        return value
    # Microseconds, rounded: serials are binary fractions of a day (1 s ≈ 1.16e-5).
    local = EPOCH + dt.timedelta(microseconds=round(value * 86_400_000_000))
    if number_format == "DATE":
        return local.date()
    if number_format == "TIME":
        return local.time()
    return local.replace(tzinfo=zone).astimezone(dt.UTC)
