"""The events change feed: a window's events of a resource → each object's newest state, and deletes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from atlas_assets.connectors.saas.stripe.catalog import CHANGED_AT, MutableResource
from atlas_assets.connectors.saas.stripe.records import epoch, to_row


@dataclass
class Changes:
    """The rows to upsert (newest snapshot per object) and the ids deleted, from one window's events."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    deleted_ids: list[str] = field(default_factory=list)
    events: int = 0


def collect_changes(events: Iterable[dict[str, Any]], resource: MutableResource) -> Changes:
    """Keep, per object, the event latest by (`created`, event id): its snapshot, or a delete.

    Stripe lists events newest first but not in a strict total order within one second, so the
    order is decided here, never by arrival. Holds one snapshot per object changed in the window.
    """
    latest: dict[str, tuple[tuple[int, str], dict[str, Any]]] = {}
    changes = Changes()
    for event in events:
        snapshot = event.get("data", {}).get("object") or {}
        if snapshot.get("object") != resource.object_type:
            continue  # e.g. `customer.subscription.*` events in the `customer.*` feed
        changes.events += 1
        order = (event["created"], event["id"])
        current = latest.get(snapshot["id"])
        if current is None or order > current[0]:
            latest[snapshot["id"]] = (order, event)
    for object_id, ((created, _id), event) in latest.items():
        if event["type"] == resource.deleted_event:
            changes.deleted_ids.append(object_id)
        else:
            changes.rows.append({**to_row(event["data"]["object"]), CHANGED_AT: epoch(created)})
    return changes
