"""The demo shop's SQLite database: customers, orders and products, built with SQLAlchemy Core.

Timestamps are naive UTC `DateTime`s, stored in SQLAlchemy's SQLite text format, so reading
them back through SQLAlchemy yields datetimes.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from atlas_assets.demo.vocabulary import (
    COUNTRIES,
    CURRENCIES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    ORDER_STATUSES,
    PRODUCTS,
)

SEED = "atlas-demo-2026"
START = dt.datetime(2026, 1, 1)
END = dt.datetime(2026, 4, 1)
"""Orders and customer changes fall in [START, END): 2026-01-01 to 2026-03-31, UTC."""

CUSTOMERS = 400
UPDATED_SHARE = 0.3
"""About this share of customers changed 5 to 45 days after they were created."""

metadata = sa.MetaData()

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(255), nullable=False, unique=True),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False, index=True),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("amount_cents", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(20), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("category", sa.String(20), nullable=False),
    sa.Column("price_cents", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)


@dataclass(frozen=True)
class ShopRows:
    """Every row of the shop, as dicts keyed by column name, in id order."""

    customers: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    products: list[dict[str, Any]]


def shop_rows() -> ShopRows:
    """The shop's rows: the same on every call (seeded, no clock)."""
    customer_rows = _customers(random.Random(f"{SEED}:customers"))
    return ShopRows(
        customers=customer_rows,
        orders=_orders(random.Random(f"{SEED}:orders"), [c["created_at"] for c in customer_rows]),
        products=_products(),
    )


def write_shop_db(path: Path, rows: ShopRows) -> None:
    """Create the SQLite database at `path` (which must not exist) holding `rows`."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(customers.insert(), rows.customers)
            conn.execute(orders.insert(), rows.orders)
            conn.execute(products.insert(), rows.products)
    finally:
        engine.dispose()


def weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    """One value of (value, weight) pairs."""
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def email_local_part(first: str, last: str) -> str:
    """`first.last` in plain lower-case ASCII ("Zoë O'Brien" → "zoe.obrien")."""
    decomposed = unicodedata.normalize("NFKD", f"{first}.{last}".lower())
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == "."))


def _customers(rng: random.Random) -> list[dict[str, Any]]:
    span = int((END - START).total_seconds() * 0.8)
    # The first customer exists from the first second, so every order has someone to belong to.
    offsets = sorted([0, *(rng.randrange(span) for _ in range(CUSTOMERS - 1))])
    rows = []
    for customer_id, offset in enumerate(offsets, start=1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = START + dt.timedelta(seconds=offset)
        updated = created
        if rng.random() < UPDATED_SHARE:
            later = dt.timedelta(days=rng.randint(5, 45), seconds=rng.randrange(86_400))
            updated = min(created + later, END - dt.timedelta(seconds=1))
        rows.append(
            {
                "id": customer_id,
                "email": f"{email_local_part(first, last)}{customer_id}@{rng.choice(EMAIL_DOMAINS)}",
                "full_name": f"{first} {last}",
                "country": weighted(rng, COUNTRIES),
                "created_at": created,
                "updated_at": updated,
            }
        )
    return rows


def _orders(rng: random.Random, customer_created: list[dt.datetime]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    hour = START
    while hour < END:
        for second in sorted(rng.randrange(3600) for _ in range(rng.randint(1, 5))):
            created = hour + dt.timedelta(seconds=second)
            existing = bisect.bisect_right(customer_created, created)
            rows.append(
                {
                    "id": len(rows) + 1,
                    "customer_id": rng.randint(1, existing),
                    "status": weighted(rng, ORDER_STATUSES),
                    "amount_cents": rng.randint(5, 250) * 100 + rng.choice((0, 50, 90, 99)),
                    "currency": weighted(rng, CURRENCIES),
                    "created_at": created,
                }
            )
        hour += dt.timedelta(hours=1)
    return rows


def _products() -> list[dict[str, Any]]:
    return [
        {
            "id": product_id,
            "sku": f"SKU-{product_id:04d}",
            "name": name,
            "category": category,
            "price_cents": price,
            "active": product_id % 7 != 0,
        }
        for product_id, (name, category, price) in enumerate(PRODUCTS, start=1)
    ]
