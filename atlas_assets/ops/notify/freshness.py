"""From a failed freshness check in Dagster's event log to the notifications its tenants' targets receive.

A freshness check fails in a run of its own (the freshness sensor's), which succeeds: the run
failure path never sees it, so the notification sensor reads failed `freshness_check`
evaluations too and tells them the same way, one message per evaluation run, tenant and target.
Dagster's freshness sensor does not re-evaluate a failed check before the asset is materialized
again, so one stale spell is one failed evaluation, hence one message.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

import dagster as dg

from atlas_assets.config import naming
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.ops.notify.failures import Recipient, first_line, recipients_of
from atlas_assets.ops.notify.message import Notification, notification_id


def is_failed_freshness(evaluation: dg.AssetCheckEvaluation) -> bool:
    return evaluation.check_name == naming.FRESHNESS_CHECK_NAME and not evaluation.passed


class FreshnessNotices:
    """Builds the notifications of failed freshness checks of this code location's assets."""

    def __init__(self, specs: Sequence[ObjectSpec], ui_url: str, secrets: Iterable[str]):
        self._by_key = {spec.asset_key: spec for spec in specs if spec.notify and spec.freshness}
        self._ui_url = ui_url.rstrip("/")
        self._secrets = tuple(secrets)
        self.check_keys = [dg.AssetCheckKey(key, naming.FRESHNESS_CHECK_NAME) for key in self._by_key]

    def concerns(self, evaluation: dg.AssetCheckEvaluation) -> bool:
        """Whether `evaluation` is a failed freshness check someone is to be told about."""
        return is_failed_freshness(evaluation) and evaluation.asset_key in self._by_key

    def for_run(self, instance: dg.DagsterInstance, run_id: str) -> list[tuple[Recipient, Notification]]:
        """One notification per (tenant, target) whose assets were found stale in the run."""
        run = instance.get_run_by_id(run_id)
        if run is None:
            return []
        stale: dict[dg.AssetKey, tuple[str, float]] = {}
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
            evaluation = entry.dagster_event.asset_check_evaluation_data  # type: ignore[union-attr]
            if self.concerns(evaluation):
                stale[evaluation.asset_key] = (evaluation.description or "", entry.timestamp)
        by_recipient: dict[Recipient, list[dg.AssetKey]] = defaultdict(list)
        for key in sorted(stale):
            for recipient in recipients_of(self._by_key[key]):
                by_recipient[recipient].append(key)
        notices = []
        for recipient, keys in by_recipient.items():
            description, timestamp = stale[keys[0]]
            notices.append(
                (
                    recipient,
                    Notification(
                        id=notification_id(run_id, "freshness", recipient.tenant, recipient.key),
                        kind="freshness",
                        tenant=recipient.tenant,
                        assets=tuple(key.to_user_string() for key in keys),
                        partitions=(),
                        checks=tuple(f"{key.to_user_string()}:{naming.FRESHNESS_CHECK_NAME}" for key in keys),
                        # Dagster's description: "Asset is overdue. Expected an update within ..."
                        error=first_line(description, self._secrets) or "the data is stale",
                        occurred_at=dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(
                            timespec="seconds"
                        ),
                        run_id=run_id,
                        job=run.job_name,
                        run_url=f"{self._ui_url}/runs/{run_id}",
                    ),
                )
            )
        return notices
