"""A failure notification: what every target receives, as webhook JSON, Slack text or an email."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

SCHEMA = "atlas.notification/v1"
# Slack and email show a range, not every key of a year-long backfill; the JSON lists them all.
_SHOWN_PARTITIONS = 3

NotificationKind = Literal["run_failure", "freshness"]


def notification_id(*parts: str) -> str:
    """A stable id for one failure at one target, so a receiver can drop a repeated delivery."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Notification:
    """One failure of one tenant's assets, as one target is told about it."""

    id: str
    kind: NotificationKind
    tenant: str
    assets: tuple[str, ...]
    partitions: tuple[str, ...]
    error: str
    occurred_at: str
    run_id: str | None = None
    job: str | None = None
    run_url: str | None = None
    checks: tuple[str, ...] = ()

    @property
    def headline(self) -> str:
        what = "run failed" if self.kind == "run_failure" else "data is stale"
        return f"[atlas] {self.tenant}: {what}: {', '.join(self.assets)}"

    def as_json(self) -> dict[str, Any]:
        """The `webhook` target's body (schema documented in the README)."""
        return {
            "schema": SCHEMA,
            "id": self.id,
            "kind": self.kind,
            "tenant": self.tenant,
            "assets": list(self.assets),
            "partitions": list(self.partitions),
            "checks": list(self.checks),
            "error": self.error,
            "run_id": self.run_id,
            "job": self.job,
            "run_url": self.run_url,
            "occurred_at": self.occurred_at,
        }

    def text_lines(self) -> list[str]:
        """The fields as `label: value` lines (email body; Slack's lines are built the same way)."""
        lines = [f"Tenant: {self.tenant}", f"Assets: {', '.join(self.assets)}"]
        if self.partitions:
            lines.append(f"Partitions: {self.partition_summary}")
        if self.checks:
            lines.append(f"Failed checks: {', '.join(self.checks)}")
        lines.append(f"Error: {self.error}")
        if self.run_url:
            lines.append(f"Run: {self.run_url}")
        lines.append(f"At: {self.occurred_at}")
        return lines

    @property
    def partition_summary(self) -> str:
        keys = self.partitions
        if len(keys) <= _SHOWN_PARTITIONS:
            return ", ".join(keys)
        return f"{keys[0]} … {keys[-1]} ({len(keys)} partitions)"

    def slack_payload(self) -> dict[str, Any]:
        """An incoming-webhook message: `text` (also the push-notification preview) in mrkdwn."""
        lines = [f"*{self.headline}*"]
        lines += [line for line in self.text_lines() if not line.startswith("Run: ")]
        if self.run_url:
            lines.append(f"<{self.run_url}|View the run in Dagster>")
        return {"text": "\n".join(lines)}

    def email_body(self) -> str:
        return "\n".join([self.headline, "", *self.text_lines(), "", f"Notification id: {self.id}"]) + "\n"
