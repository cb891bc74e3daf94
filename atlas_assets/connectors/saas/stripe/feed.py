"""The events change feed: a window's events of a resource → each object's newest state, and deletes."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.saas.stripe.catalog import CHANGE_EVENT, CHANGED_AT, MutableResource
from atlas_assets.connectors.saas.stripe.records import epoch, to_row


class ChangeFeed:
    """Reads events newest first (Stripe's list order) and keeps, per object, the event latest by
    (`created`, event id): its snapshot becomes the row, or the object's id is deleted.

    Streaming: only the ids already decided and one second's events are held, never every
    snapshot of the window. Events within one second come in no defined order, so the event id
    decides there. Rows and deletes carry that version (`changed_at`, `change_event_id`).
    """

    def __init__(self, resource: MutableResource):
        self.resource = resource
        self.events = 0
        self.deleted: list[dict[str, Any]] = []
        """The deleted objects' ids, each with the version of its delete."""
        self._decided: set[str] = set()

    def rows(self, events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The newest snapshot of every object changed (and not deleted) in the feed."""
        previous: int | None = None
        for created, same_second in itertools.groupby(self._relevant(events), key=lambda e: e["created"]):
            if previous is not None and created > previous:
                raise PermanentSourceError(
                    f"Stripe listed events out of order (created {created} after {previous})"
                )
            previous = created
            newest: dict[str, dict[str, Any]] = {}
            for event in same_second:
                object_id = event["data"]["object"]["id"]
                if object_id not in self._decided and (
                    object_id not in newest or event["id"] > newest[object_id]["id"]
                ):
                    newest[object_id] = event
            for object_id, event in newest.items():
                self._decided.add(object_id)
                version = {CHANGED_AT: epoch(created), CHANGE_EVENT: event["id"]}
                if event["type"] == self.resource.deleted_event:
                    self.deleted.append({"id": object_id, **version})
                else:
                    yield {**to_row(event["data"]["object"]), **version}

    def _relevant(self, events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for event in events:
            # `customer.*` also matches `customer.subscription.*`: keep this resource's objects only.
            if (event.get("data", {}).get("object") or {}).get("object") == self.resource.object_type:
                self.events += 1
                yield event
