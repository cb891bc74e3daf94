"""Schedules from runner.yaml cron settings: one job per tenant × cron × timezone × partitions.

Objects sharing a schedule share a job whose selection is all of them, so thousands of
assets produce a handful of jobs, not thousands. Groups and names come from `config.naming`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from atlas_assets.config.naming import ScheduleGroup, schedule_groups, schedule_job_names, schedule_name
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.factory.partitions import shared_partitions_def


def build_schedules(
    specs: list[ObjectSpec],
) -> tuple[list[UnresolvedAssetJobDefinition], list[dg.ScheduleDefinition]]:
    """Jobs and schedules for every object with a cron."""
    groups = schedule_groups(specs)
    names = schedule_job_names(list(groups))
    jobs, schedules = [], []
    for group, members in groups.items():
        job = dg.define_asset_job(
            names[group],
            selection=dg.AssetSelection.assets(*(spec.asset_key for spec in members)),
            description=f"Ingests {len(members)} object(s) of tenant {group.tenant}"
            f"{f', source {group.source}' if group.source else ''} on '{group.cron}' ({group.timezone}).",
        )
        jobs.append(job)
        schedules.append(_schedule(job, group))
    return jobs, schedules


def _schedule(job: UnresolvedAssetJobDefinition, group: ScheduleGroup) -> dg.ScheduleDefinition:
    partitions_def = shared_partitions_def(group.partitions) if group.partitions else None

    @dg.schedule(
        name=schedule_name(job.name),
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
