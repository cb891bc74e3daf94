"""From a failed run in Dagster's event log to the notifications its tenants' targets receive.

A run may hold assets of several tenants (a schedule's job selects every object on that cron):
each tenant's targets hear only about that tenant's assets, one message per failed run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import dagster as dg
from dagster._utils.error import SerializableErrorInfo

from atlas_assets.config import naming
from atlas_assets.config.notify import NotifyTarget
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.connectors.errors import redact
from atlas_assets.factory.partitions import partitions_def_for
from atlas_assets.ops.notify.message import Notification, notification_id

_RANGE_START, _RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
_QUALIFIED_CLASS = re.compile(r"^(?:[A-Za-z_][\w]*\.)+(?P<cls>[A-Za-z_]\w*): ")
_RUN_EVENTS = {
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    dg.DagsterEventType.RUN_FAILURE,
}


@dataclass(frozen=True)
class Recipient:
    """A target as one tenant uses it; `key` ("tenants.acme.notify.0") names it without its secrets."""

    key: str
    tenant: str
    target: NotifyTarget = field(compare=False)  # its key identifies it (and a dict isn't hashable)


def recipients_of(spec: ObjectSpec) -> list[Recipient]:
    """The object's targets: the nearest runner.yaml level's `notify` list."""
    return [
        Recipient(f"{spec.notify_path}.notify.{index}", spec.tenant, target)
        for index, target in enumerate(spec.notify)
    ]


def first_line(text: str, secrets: Iterable[str]) -> str:
    """The first non-empty line of an error, without a module path before its class, secrets masked."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return redact(_QUALIFIED_CLASS.sub(r"\g<cls>: ", line), secrets)


class RunFailureNotices:
    """Builds the notifications of failed runs of this code location's assets."""

    def __init__(self, specs: Sequence[ObjectSpec], ui_url: str, secrets: Iterable[str]):
        self._by_step = {naming.op_name(spec.asset_key): spec for spec in specs if spec.notify}
        self._by_key = {spec.asset_key: spec for spec in specs if spec.notify}
        self._ui_url = ui_url.rstrip("/")
        self._secrets = tuple(secrets)

    def for_run(self, instance: dg.DagsterInstance, run_id: str) -> list[tuple[Recipient, Notification]]:
        """One notification per (tenant, target) whose assets the failed run holds."""
        run = instance.get_run_by_id(run_id)
        if run is None:
            return []
        failure = self._read_failure(instance, run)
        # Failed steps name the assets at fault; a run that failed outside any step (its worker
        # died, a monitor gave up) is about everything it was asked to materialize.
        failed = list(failure.errors) or sorted(k for k in run.asset_selection or () if k in self._by_key)
        by_recipient: dict[Recipient, list[ObjectSpec]] = defaultdict(list)
        for key in failed:
            spec = self._by_key[key]
            for recipient in recipients_of(spec):
                by_recipient[recipient].append(spec)
        return [(recipient, failure.notice(recipient, specs)) for recipient, specs in by_recipient.items()]

    def _read_failure(self, instance: dg.DagsterInstance, run: dg.DagsterRun) -> _RunFailure:
        failure = _RunFailure(run, f"{self._ui_url}/runs/{run.run_id}")
        for entry in instance.all_logs(run.run_id, of_type=_RUN_EVENTS):
            event = entry.dagster_event
            assert event is not None
            if event.event_type is dg.DagsterEventType.STEP_FAILURE:
                spec = self._by_step.get(event.step_key or "")
                if spec is not None and spec.asset_key not in failure.errors:
                    failure.errors[spec.asset_key] = self._step_error(event)
            elif event.event_type is dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluation = event.asset_check_evaluation_data
                if not evaluation.passed and evaluation.severity is dg.AssetCheckSeverity.ERROR:
                    failure.checks[evaluation.asset_key].append(evaluation.check_name)
            else:
                error = getattr(event.event_specific_data, "error", None)
                failure.run_error = self._error_text(error) if error else entry.user_message
                failure.failed_at = dt.datetime.fromtimestamp(entry.timestamp, dt.UTC)
        return failure

    def _step_error(self, event: dg.DagsterEvent) -> str:
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            return first_line(data.user_failure_data.description, self._secrets)
        return self._error_text(data.error) if data.error else "the step failed"

    def _error_text(self, error: SerializableErrorInfo) -> str:
        # Dagster wraps user code's exception; the innermost cause is the one to read.
        while error.cause is not None:
            error = error.cause
        return first_line(error.message, self._secrets)


@dataclass
class _RunFailure:
    """What a failed run's event log says: each failed asset's error, failed ERROR checks, when."""

    run: dg.DagsterRun
    run_url: str
    errors: dict[dg.AssetKey, str] = field(default_factory=dict)
    checks: dict[dg.AssetKey, list[str]] = field(default_factory=lambda: defaultdict(list))
    run_error: str = "the run failed"
    failed_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def notice(self, recipient: Recipient, specs: list[ObjectSpec]) -> Notification:
        """The notification `recipient` gets about its tenant's `specs`."""
        keys = [spec.asset_key for spec in specs]
        return Notification(
            id=notification_id(self.run.run_id, recipient.tenant, recipient.key),
            kind="run_failure",
            tenant=recipient.tenant,
            assets=tuple(key.to_user_string() for key in keys),
            partitions=_partitions(self.run, specs[0]),
            checks=tuple(f"{key.to_user_string()}:{name}" for key in keys for name in self.checks[key]),
            error=next((self.errors[key] for key in keys if key in self.errors), self.run_error),
            occurred_at=self.failed_at.isoformat(timespec="seconds"),
            run_id=self.run.run_id,
            job=self.run.job_name,
            run_url=self.run_url,
        )


def _partitions(run: dg.DagsterRun, spec: ObjectSpec) -> tuple[str, ...]:
    """The run's partition key, or every key of its range (a single-run backfill)."""
    if (key := run.tags.get("dagster/partition")) is not None:
        return (key,)
    start, end = run.tags.get(_RANGE_START), run.tags.get(_RANGE_END)
    if start is None or end is None:
        return ()
    partitions_def = partitions_def_for(spec)
    if partitions_def is None:
        return (start, end)
    return tuple(partitions_def.get_partition_keys_in_range(dg.PartitionKeyRange(start, end)))
