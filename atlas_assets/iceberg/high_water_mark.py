"""The append-mode high-water mark, kept in a table property committed with the data it covers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pyiceberg.table import Table, Transaction

HWM_PROPERTY = "atlas.high-water-mark"


def read_high_water_mark(table: Table | None) -> Any:
    """The greatest cursor value committed so far, or None before the first write."""
    if table is None or HWM_PROPERTY not in table.properties:
        return None
    stored = json.loads(table.properties[HWM_PROPERTY])
    kind, value = stored["type"], stored["value"]
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    return value


def stage_high_water_mark(tx: Transaction, value: Any) -> None:
    """Set the mark inside `tx`, so the data and the mark can never disagree."""
    if value is None:
        return
    if isinstance(value, dt.datetime):
        stored = {"type": "datetime", "value": value.isoformat()}
    elif isinstance(value, dt.date):
        stored = {"type": "date", "value": value.isoformat()}
    else:
        stored = {"type": type(value).__name__, "value": value}
    tx.set_properties({HWM_PROPERTY: json.dumps(stored)})
