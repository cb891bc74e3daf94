"""Stripe objects as rows: epoch seconds → UTC datetimes, free-form `metadata` as JSON text.

Amounts stay integers in minor units next to their `currency`, as Stripe sends them; nested
objects are left to the shared records → Arrow step (JSON text or structs per `nested:`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

# Stripe's timestamp fields that neither are `created` nor end in `_at`.
_TIMESTAMP_NAMES = frozenset(
    {
        "created",
        "date",
        "available_on",
        "arrival_date",
        "billing_cycle_anchor",
        "current_period_start",
        "current_period_end",
        "trial_start",
        "trial_end",
        "start_date",
        "due_date",
        "period_start",
        "period_end",
        "next_payment_attempt",
    }
)
_FREE_FORM = frozenset({"metadata"})


def is_timestamp_field(name: str) -> bool:
    """Whether Stripe sends `name` as epoch seconds."""
    return name in _TIMESTAMP_NAMES or name.endswith("_at")


def to_row(obj: dict[str, Any]) -> dict[str, Any]:
    """One object as a row of top-level fields."""
    row: dict[str, Any] = {}
    for name, value in obj.items():
        if name in _FREE_FORM and value is not None:
            value = json.dumps(value, separators=(",", ":"), sort_keys=True)
        elif is_timestamp_field(name) and isinstance(value, int) and not isinstance(value, bool):
            value = epoch(value)
        row[name] = value
    return row


def epoch(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)
