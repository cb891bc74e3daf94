"""Which Stripe list resources change after creation, and how their changes show in the events feed."""

from __future__ import annotations

from dataclasses import dataclass

EVENTS_RETENTION_DAYS = 30
"""Stripe keeps events for 30 days; older windows cannot be read from the change feed."""


@dataclass(frozen=True)
class MutableResource:
    """A resource read incrementally from `/v1/events`.

    `event_prefix` selects the events (`<prefix>.*`); `object_type` keeps those whose
    `data.object` is this resource (`customer.*` also matches `customer.subscription.*`);
    `deleted_event` is the event after which the object no longer exists, if any.
    """

    object_type: str
    event_prefix: str
    deleted_event: str | None = None


MUTABLE_RESOURCES: dict[str, MutableResource] = {
    "customers": MutableResource("customer", "customer", "customer.deleted"),
    "products": MutableResource("product", "product", "product.deleted"),
    "prices": MutableResource("price", "price", "price.deleted"),
    "plans": MutableResource("plan", "plan", "plan.deleted"),
    "coupons": MutableResource("coupon", "coupon", "coupon.deleted"),
    # A deleted invoice is a deleted draft; a deleted subscription is only canceled and stays listed.
    "invoices": MutableResource("invoice", "invoice", "invoice.deleted"),
    "subscriptions": MutableResource("subscription", "customer.subscription"),
    "payment_intents": MutableResource("payment_intent", "payment_intent"),
    "charges": MutableResource("charge", "charge"),
    "refunds": MutableResource("refund", "refund"),
    "payouts": MutableResource("payout", "payout"),
    "disputes": MutableResource("dispute", "charge.dispute"),
}
"""Resources whose objects change after creation; every other list resource (balance_transactions,
events, …) is treated as immutable and read by its `created` window."""

CHANGED_AT = "changed_at"
"""Column of a change-feed row: when the change it reflects happened (the event's `created`)."""

CHANGE_EVENT = "change_event_id"
"""Column of a change-feed row: the id of the event it reflects; with `changed_at`, the row's
version (a re-run of an older window never overrides it). Null for rows listed by `created`."""
