"""Instants as microseconds since the Unix epoch: how Iceberg and Arrow store timestamps.

One place for the conversion, exact in integers (a float timestamp loses microseconds after 2038).
"""

from __future__ import annotations

import datetime as dt

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def epoch_micros(instant: dt.datetime) -> int:
    """Microseconds from the epoch to `instant` (timezone-aware)."""
    return (instant.astimezone(dt.UTC) - EPOCH) // _MICROSECOND


def from_epoch_micros(micros: int) -> dt.datetime:
    """The UTC instant `micros` microseconds after the epoch."""
    return EPOCH + dt.timedelta(microseconds=micros)
