"""Payment events of the demo shop's orders, as monthly CSV files (`payments_2026-01.csv`, ...).

Every order but a pending one has a charge a few minutes after it was placed (failed for
cancelled orders); refunded orders also have a refund days later. Amounts are decimal strings
("24.90") and times are ISO 8601 in UTC with a `Z`.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from atlas_assets.demo.shop import END, SEED, weighted
from atlas_assets.demo.vocabulary import PAYMENT_METHODS

PAYMENT_COLUMNS = (
    "payment_id",
    "order_id",
    "event_type",
    "status",
    "amount",
    "currency",
    "method",
    "created_at",
)


def payment_rows(orders: list[dict[str, Any]]) -> list[list[str]]:
    """One row per payment event, ordered by time, ids `pay_000001`... in that order."""
    rng = random.Random(f"{SEED}:payments")
    last = END - dt.timedelta(seconds=1)
    events: list[tuple[dt.datetime, int, str, str, int, str, str]] = []
    for order in orders:
        if order["status"] == "pending":
            continue
        method = weighted(rng, PAYMENT_METHODS)
        charged = min(order["created_at"] + dt.timedelta(seconds=rng.randint(5, 900)), last)
        status = "failed" if order["status"] == "cancelled" else "succeeded"
        events.append(
            (charged, order["id"], "charge", status, order["amount_cents"], order["currency"], method)
        )
        if order["status"] == "refunded":
            refunded = min(
                charged + dt.timedelta(days=rng.randint(1, 10), seconds=rng.randrange(86_400)), last
            )
            events.append(
                (
                    refunded,
                    order["id"],
                    "refund",
                    "succeeded",
                    order["amount_cents"],
                    order["currency"],
                    method,
                )
            )
    events.sort(key=lambda event: (event[0], event[1], event[2]))
    return [
        [f"pay_{n:06d}", str(order_id), kind, status, _decimal(cents), currency, method, _iso_utc(at)]
        for n, (at, order_id, kind, status, cents, currency, method) in enumerate(events, start=1)
    ]


def payment_files(rows: list[list[str]]) -> dict[str, list[list[str]]]:
    """Rows grouped into one file per calendar month of their `created_at`."""
    files: dict[str, list[list[str]]] = {}
    created_at = PAYMENT_COLUMNS.index("created_at")
    for row in rows:
        files.setdefault(f"payments_{row[created_at][:7]}.csv", []).append(row)
    return files


def _decimal(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _iso_utc(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
