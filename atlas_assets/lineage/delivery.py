"""Reading the event log after a cursor and delivering its lineage events, in order, at least once."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg
import requests
from dagster._core.event_api import EventLogCursor
from openlineage.client import OpenLineageClient

from atlas_assets.lineage.events import ASSET_EVENT_TYPES, RUN_STATES, LineageEventBuilder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryReport:
    """One pass: events sent, the storage id delivered up to, and why it stopped early (if it did)."""

    sent: int
    skipped: int
    last_storage_id: int
    stopped_by: str | None = None

    def summary(self) -> str:
        text = f"sent {self.sent} OpenLineage event(s) up to event-log id {self.last_storage_id}"
        if self.skipped:
            text += f"; skipped {self.skipped} the receiver rejected"
        if self.stopped_by:
            text += f"; receiver unavailable ({self.stopped_by}), the rest follow on a later tick"
        return text


def read_records(instance: dg.DagsterInstance, after: int, limit: int) -> list[dg.EventLogRecord]:
    """The next `limit` run-status and asset records after storage id `after`, oldest first.

    Each event type is queried with the one cross-run query every storage answers for it: the
    default SQLite storage shards its log per run and mirrors only run-status, asset and check
    events into one index, whose ids form the cursor (on PostgreSQL they are the log's own ids).
    Run status changes come from `fetch_run_status_changes`; asset events from
    `get_event_records`, which sharded SQLite serves from that index. Check evaluations have no
    cross-run query on sharded SQLite, so they are read per run when the run ends (see
    `LineageEventBuilder.events_for`). When a type returns a full page, records of other types
    beyond that page's last id are held back so nothing is ever skipped.
    """
    cursor = EventLogCursor.from_storage_id(after).to_string()
    pages: list[list[dg.EventLogRecord]] = [
        list(instance.fetch_run_status_changes(kind, limit=limit, cursor=cursor, ascending=True).records)
        for kind in RUN_STATES
    ]
    for event_type in ASSET_EVENT_TYPES:
        with warnings.catch_warnings():
            # Deprecated for Dagster 2.0, but the only query across all assets (the `fetch_*`
            # replacements each need an asset key); sharded SQLite answers it from its index.
            warnings.filterwarnings("ignore", message="Use fetch_", category=UserWarning)
            warnings.filterwarnings("ignore", message=".*get_event_records.*", category=DeprecationWarning)
            pages.append(
                list(
                    instance.get_event_records(
                        dg.EventRecordsFilter(event_type=event_type, after_cursor=after),
                        limit=limit,
                        ascending=True,
                    )
                )
            )
    horizon: int | None = None
    records: list[dg.EventLogRecord] = []
    for page in pages:
        if len(page) == limit:
            last = page[-1].storage_id
            horizon = last if horizon is None else min(horizon, last)
        records.extend(page)
    records.sort(key=lambda record: record.storage_id)
    if horizon is not None:
        records = [record for record in records if record.storage_id <= horizon]
    return records[:limit]


def deliver(
    records: Sequence[dg.EventLogRecord],
    after: int,
    builder: LineageEventBuilder,
    client: OpenLineageClient,
    instance: dg.DagsterInstance,
) -> DeliveryReport:
    """Emit each record's events in order; stop at the first delivery failure worth retrying.

    The returned `last_storage_id` is the last record fully delivered (or skipped), so the next
    pass resumes exactly after it. A record the receiver rejects as invalid (HTTP 4xx) is skipped
    rather than retried forever.
    """
    sent = skipped = 0
    last = after
    for record in records:
        try:
            events = builder.events_for(record.event_log_entry, instance)
        except Exception:
            log.exception("lineage: could not describe event-log record %s; skipped", record.storage_id)
            skipped += 1
            last = record.storage_id
            continue
        try:
            for event in events:
                client.emit(event)
                sent += 1
        except Exception as exc:
            if not _rejected(exc):
                return DeliveryReport(sent, skipped, last, type(exc).__name__)
            log.warning("lineage: receiver rejected the events of record %s (%s)", record.storage_id, exc)
            skipped += 1
        last = record.storage_id
    return DeliveryReport(sent, skipped, last)


def _rejected(exc: Exception) -> bool:
    """A 4xx other than 429: the event itself is the problem, so retrying cannot help."""
    response = getattr(exc, "response", None)
    if not isinstance(exc, requests.HTTPError) or response is None:
        return False
    return 400 <= response.status_code < 500 and response.status_code != 429
