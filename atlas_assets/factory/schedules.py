"""Schedules from runner.yaml cron settings, one job per distinct (cron, timezone, partitions).

Objects sharing a schedule share a job whose selection is all of them, so thousands of
assets produce a handful of jobs, not thousands.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.factory.partitions import partitions_def_for


@dataclass(frozen=True)
class _ScheduleGroup:
    cron: str
    timezone: str
    running: bool
    partitions_def: dg.TimeWindowPartitionsDefinition | None

    @property
    def job_name(self) -> str:
        """Stable across reloads, so run history and schedule state stay attached."""
        kind = "unpartitioned"
        if isinstance(self.partitions_def, dg.TimeWindowPartitionsDefinition):
            kind = (
                self.partitions_def.schedule_type.value.lower()
                if self.partitions_def.schedule_type
                else "custom"
            )
        identity = f"{self.cron}|{self.timezone}|{self.partitions_def!r}{'|running' if self.running else ''}"
        return f"ingest_{kind}_{hashlib.sha1(identity.encode()).hexdigest()[:8]}"


def build_schedules(
    specs: list[ObjectSpec],
) -> tuple[list[UnresolvedAssetJobDefinition], list[dg.ScheduleDefinition]]:
    """Jobs and schedules for every object with a cron."""
    groups: dict[_ScheduleGroup, list[dg.AssetKey]] = defaultdict(list)
    for spec in specs:
        schedule = spec.schedule
        if schedule.cron is None:
            continue
        timezone = schedule.timezone or (spec.partitions.timezone if spec.partitions else "UTC")
        groups[_ScheduleGroup(schedule.cron, timezone, schedule.running, partitions_def_for(spec))].append(
            spec.asset_key
        )
    jobs, schedules = [], []
    for group, keys in groups.items():
        job = dg.define_asset_job(
            group.job_name,
            selection=dg.AssetSelection.assets(*keys),
            description=f"Ingests {len(keys)} object(s) on '{group.cron}' ({group.timezone}).",
        )
        jobs.append(job)
        schedules.append(_schedule(job, group))
    return jobs, schedules


def _schedule(job: UnresolvedAssetJobDefinition, group: _ScheduleGroup) -> dg.ScheduleDefinition:
    partitions_def = group.partitions_def

    @dg.schedule(
        name=f"{group.job_name}_schedule",
        cron_schedule=group.cron,
        execution_timezone=group.timezone,
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING
        if group.running
        else dg.DefaultScheduleStatus.STOPPED,
        description=f"Materializes the latest complete partition of {job.name}'s objects on '{group.cron}'.",
    )
    def _tick(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        tick_time = context.scheduled_execution_time
        if partitions_def is None:
            return dg.RunRequest(run_key=tick_time.isoformat() if tick_time else None)
        partition_key = latest_complete_partition(partitions_def, tick_time or datetime.now(UTC))
        if partition_key is None:
            return dg.SkipReason("no complete partition yet")
        run_key = f"{partition_key}@{tick_time.isoformat()}" if tick_time else partition_key
        return dg.RunRequest(run_key=run_key, partition_key=partition_key)

    return _tick


def latest_complete_partition(
    partitions_def: dg.TimeWindowPartitionsDefinition, moment: datetime
) -> str | None:
    """The last partition whose window has ended at `moment` (or the current one, with an end offset)."""
    first = partitions_def.get_first_partition_window()
    if first is None or moment < first.end:
        return None
    current = partitions_def.get_partition_key_for_timestamp(moment.timestamp())
    if partitions_def.end_offset > 0:
        return current
    current_start = partitions_def.time_window_for_partition_key(current).start
    return partitions_def.get_partition_key_for_timestamp(current_start.timestamp() - 1)
