"""The failure-notification sensor: failed runs, and failed freshness checks, in the event log →
one message per tenant and target.

The cursor holds the event-log id of the last run failure handled, the last evaluation handled
of each freshness check, and the deliveries still owed. A delivery that fails after its in-tick retries is
owed, retried on later ticks and dropped (with a warning) after `MAX_TICKS_OWED`; a down target
is tried once per tick, so it never makes a tick slow, and a tick never fails because of it.
Each tick handles a bounded number of failures, so it ends well inside Dagster's sensor timeout
and its cursor (with what it delivered) is always saved: no failure is told twice, whatever the
number of ticks.
"""

# No `from __future__ import annotations`: Dagster inspects the sensor function at runtime.

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import dagster as dg

from atlas_assets.config import naming
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.ops.notify.delivery import DeliveryError, deliver
from atlas_assets.ops.notify.failures import Recipient, RunFailureNotices
from atlas_assets.ops.notify.freshness import FreshnessNotices
from atlas_assets.ops.notify.message import Notification, NotificationKind

UI_URL_ENV = "ATLAS_UI_URL"
INTERVAL_ENV = "ATLAS_NOTIFY_INTERVAL"
DEFAULT_UI_URL = "http://127.0.0.1:3000"
FAILURES_PER_TICK = 25
MAX_TICKS_OWED = 20
TICK_BUDGET_SECONDS = 30.0

log = logging.getLogger(__name__)


@dataclass
class Owed:
    """A delivery still to make: which failure (run, and whether of the run or a freshness
    check in it) to which tenant's target."""

    run_id: str
    tenant: str
    target: str
    ticks: int = 0
    kind: NotificationKind = "run_failure"


@dataclass
class NotifyCursor:
    """The sensor's state between ticks (serialized as JSON; holds no secret)."""

    after: int = 0
    owed: list[Owed] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)  # freshness check → last evaluation seen

    @classmethod
    def parse(cls, text: str | None) -> "NotifyCursor":
        if not text:
            return cls()
        data = json.loads(text)
        # `checks` is absent from cursors saved before freshness notifications existed
        return cls(data["after"], [Owed(**item) for item in data["owed"]], data.get("checks", {}))

    def dumps(self) -> str:
        return json.dumps(
            {
                "after": self.after,
                "owed": [asdict(item) for item in self.owed],
                "checks": self.checks,
            }
        )


@dataclass
class TickReport:
    sent: int = 0
    owed: int = 0
    dropped: int = 0
    down: set[str] = field(default_factory=set)

    def summary(self) -> str:
        text = f"sent {self.sent} notification(s)"
        if self.owed:
            text += f"; {self.owed} owed, retried next tick (down: {', '.join(sorted(self.down))})"
        if self.dropped:
            text += f"; gave up on {self.dropped} after {MAX_TICKS_OWED} ticks"
        return text


def failure_notification_sensor(
    specs: Sequence[ObjectSpec], secrets: Sequence[str]
) -> dg.SensorDefinition | None:
    """The sensor telling each object's `notify` targets about failed runs; None if nobody listens."""
    if not any(spec.notify for spec in specs):
        return None
    ui_url = os.environ.get(UI_URL_ENV, DEFAULT_UI_URL)
    notices = Notices(RunFailureNotices(specs, ui_url, secrets), FreshnessNotices(specs, ui_url, secrets))

    @dg.sensor(
        name=naming.FAILURE_NOTIFICATION_SENSOR,
        minimum_interval_seconds=int(os.environ.get(INTERVAL_ENV, "30")),
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Tells runner.yaml's `notify` targets (Slack, webhook, email) about failed runs "
        "and failed freshness checks.",
    )
    def _notify_failures(context: dg.SensorEvaluationContext):
        cursor = NotifyCursor.parse(context.cursor)
        report = notify_tick(context.instance, notices, cursor)
        context.update_cursor(cursor.dumps())
        return dg.SkipReason(report.summary())

    return _notify_failures


@dataclass(frozen=True)
class Notices:
    """What each kind of failure is told as."""

    runs: RunFailureNotices
    freshness: FreshnessNotices

    def for_run(self, instance: dg.DagsterInstance, kind: NotificationKind, run_id: str):
        of_kind = self.runs if kind == "run_failure" else self.freshness
        return of_kind.for_run(instance, run_id)


def notify_tick(instance: dg.DagsterInstance, notices: Notices, cursor: NotifyCursor) -> TickReport:
    """Deliver what is owed, then the notifications of run failures and failed freshness checks
    after the cursor; moves `cursor`."""
    report = TickReport()
    deadline = time.monotonic() + TICK_BUDGET_SECONDS
    owed, cursor.owed = cursor.owed, []
    for item in owed:
        pending = [(r, n) for r, n in notices.for_run(instance, item.kind, item.run_id) if _is(item, r)]
        for recipient, notification in pending:
            _send(recipient, notification, item.ticks + 1, cursor, report, deadline)
    records = instance.fetch_run_status_changes(
        dg.RunStatusChangeRecordsFilter(dg.DagsterEventType.RUN_FAILURE, after_storage_id=cursor.after),
        limit=FAILURES_PER_TICK,
        ascending=True,
    ).records
    for record in records:
        if time.monotonic() > deadline:
            break
        for recipient, notification in notices.for_run(instance, "run_failure", record.run_id):
            _send(recipient, notification, 0, cursor, report, deadline)
        cursor.after = record.storage_id
    _notify_stale(instance, notices, cursor, report, deadline)
    return report


def _notify_stale(
    instance: dg.DagsterInstance, notices: Notices, cursor: NotifyCursor, report: TickReport, deadline: float
) -> None:
    """The notifications of runs whose freshness checks failed since the cursor.

    Read from each check's latest evaluation (one query for all of them), not by scanning the
    event log: the default SQLite storage shards events by run and cannot list them across runs.
    The cursor remembers the evaluation handled per check; an earlier one that was never seen is
    no news once a newer evaluation exists.
    """
    summaries = instance.event_log_storage.get_asset_check_summary_records(notices.freshness.check_keys)
    runs: list[str] = []
    for key, summary in summaries.items():
        record = summary.last_completed_check_execution_record
        label = key.to_user_string()
        if record is None or cursor.checks.get(label) == record.id:
            continue
        evaluation = record.event.asset_check_evaluation if record.event else None
        if evaluation is not None and notices.freshness.concerns(evaluation) and record.run_id not in runs:
            runs.append(record.run_id)
        cursor.checks[label] = record.id
    # one run's stale assets are told in one message per target (for_run groups them)
    for run_id in runs:
        for recipient, notification in notices.for_run(instance, "freshness", run_id):
            _send(recipient, notification, 0, cursor, report, deadline)


def _is(item: Owed, recipient: Recipient) -> bool:
    return (item.tenant, item.target) == (recipient.tenant, recipient.key)


def _send(
    recipient: Recipient,
    notification: Notification,
    ticks: int,
    cursor: NotifyCursor,
    report: TickReport,
    deadline: float,
) -> None:
    target_label = f"{recipient.key} ({recipient.target.kind})"
    if recipient.key not in report.down and time.monotonic() < deadline:
        try:
            deliver(recipient.target, notification)
            report.sent += 1
            return
        except DeliveryError as exc:
            log.warning("notification %s to %s failed: %s", notification.id, target_label, exc)
            report.down.add(recipient.key)
    if ticks >= MAX_TICKS_OWED:
        log.warning("gave up notifying %s of run %s", target_label, notification.run_id)
        report.dropped += 1
        return
    cursor.owed.append(
        Owed(notification.run_id or "", recipient.tenant, recipient.key, ticks, notification.kind)
    )
    report.owed += 1
