"""Every name Dagster or Iceberg sees, built in this one module.

Tenant, source and object names never contain `__` and never start or end with `_`
(`settings.NAME_PATTERN`), so `__` is a separator no name can hold: joining names with it can
never make two different config paths meet (`alpha__beta`/`db` is not a valid tenant). The
quarantine suffix must start with `__` for the same reason, so no object's table can equal
another's quarantine table. What construction cannot rule out (two tenants choosing one
namespace, an object named `orders_silver` next to a silver `orders`, two schedules whose
readable names meet) is checked by `config.name_collisions` at load.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg

from atlas_assets.config.pii_columns import MaskPolicy
from atlas_assets.config.settings import PartitionsConfig

if TYPE_CHECKING:
    from atlas_assets.config.resolve import ObjectSpec

SEPARATOR = "__"
DEFAULT_QUARANTINE_SUFFIX = "__quarantine"
TOMBSTONE_SUFFIX = "__tombstones"
QUARANTINE_SUFFIX_PATTERN = r"^__[a-z0-9]+(?:_[a-z0-9]+)*$"
SILVER_SUFFIX = "_silver"
FAILURE_NOTIFICATION_SENSOR = "notify_failures"
FRESHNESS_SENSOR = "freshness_checks"
FILE_ARRIVAL_SUFFIX = "file_arrival"
# Dagster's freshness-check factories name every check they build this, and its op (the step)
# `freshness_check_<hash of the keys>`.
FRESHNESS_CHECK_NAME = "freshness_check"


def is_freshness_step(step_key: str) -> bool:
    """Whether a run's step is one of Dagster's freshness checks."""
    return step_key.startswith(f"{FRESHNESS_CHECK_NAME}_")


TENANT_TAG = "atlas/tenant"
SOURCE_TAG = "atlas/source"


def asset_key(tenant: str, source: str, object_name: str) -> dg.AssetKey:
    """`[tenant, source, object]`: the tenant first, so tenant-wide selections cover everything."""
    return dg.AssetKey([tenant, source, object_name])


def op_name(key: dg.AssetKey) -> str:
    """The op Dagster derives from an asset key (`tenant__source__object`)."""
    return SEPARATOR.join(key.path)


def file_arrival_sensor_name(key: dg.AssetKey) -> str:
    """`tenant__source__object__file_arrival`: `__` is reserved, so it is no other object's name."""
    return SEPARATOR.join([*key.path, FILE_ARRIVAL_SUFFIX])


def asset_tags(tenant: str, source: str) -> dict[str, str]:
    """Definition tags of an object's assets: its tenant and (bare) source name, for UI filters."""
    return {TENANT_TAG: tenant, SOURCE_TAG: source}


def source_run_tag(tenant: str, source: str) -> str:
    """The `atlas/source` value of a run: `tenant.source`, since two tenants may name a source alike."""
    return f"{tenant}.{source}"


def run_tags(asset_keys: Iterable[dg.AssetKey]) -> dict[str, str]:
    """The fairness tags of a run materializing `asset_keys` (`ops.fairness` counts runs by them).

    `atlas/tenant` when every asset belongs to one tenant, `atlas/source` (`tenant.source`) when
    they all read one source; a tag holds one value, so a run spanning several has none.
    """
    paths = [key.path for key in asset_keys if len(key.path) == 3]
    tenants = {path[0] for path in paths}
    sources = {(path[0], path[1]) for path in paths}
    tags: dict[str, str] = {}
    if len(tenants) == 1:
        tags[TENANT_TAG] = next(iter(tenants))
    if len(sources) == 1:
        tags[SOURCE_TAG] = source_run_tag(*next(iter(sources)))
    return tags


def resource_key(tenant: str, source: str) -> str:
    """`<tenant>__<source>`: one connector resource per tenant × source."""
    return f"{tenant}{SEPARATOR}{source}"


def source_label(resource: str) -> str:
    """`tenant.source` for a connector's resource key (how `check_sources` names it)."""
    return resource.replace(SEPARATOR, ".", 1)


def table_name(source: str, object_name: str) -> str:
    """The object's Iceberg table inside its tenant's namespace: `<source>__<object>`."""
    return f"{source}{SEPARATOR}{object_name}"


def quarantine_table_name(table: str, suffix: str = DEFAULT_QUARANTINE_SUFFIX) -> str:
    """The table a table's rejected rows go to: `<table><warehouse.quarantine_suffix>`."""
    return table + suffix


def tombstone_table_name(table: str) -> str:
    """The table holding the keys deleted from an upsert table, with their versions."""
    return table + TOMBSTONE_SUFFIX


def silver_asset_key(key: dg.AssetKey) -> dg.AssetKey:
    """`[tenant, source, <object>_silver]`, beside its bronze object in the UI."""
    return dg.AssetKey([*key.path[:-1], key.path[-1] + SILVER_SUFFIX])


def silver_table_name(table: str) -> str:
    """The silver table, in the tenant's namespace beside the bronze one."""
    return table + SILVER_SUFFIX


def masks_in_silver(spec: ObjectSpec) -> bool:
    """Whether the object gets a silver asset: it masks in silver and has a column to mask."""
    return spec.pii_scan.masking == "silver" and any(
        rule.policy is not MaskPolicy.KEEP for rule in spec.config.pii.values()
    )


@dataclass(frozen=True)
class ScheduleGroup:
    """Objects of one tenant materialized together by one job on one schedule.

    `source` is set for the objects of a source with its own `concurrency:` limit: their runs
    must read that source alone to carry its `atlas/source` tag (`run_tags`).
    """

    tenant: str
    source: str | None
    cron: str
    timezone: str
    running: bool
    partitions: PartitionsConfig | None


def schedule_groups(specs: list[ObjectSpec]) -> dict[ScheduleGroup, list[ObjectSpec]]:
    """Every scheduled object under its group: one per tenant × cron × timezone × partitions × status
    (and × source, for a source with a concurrency limit).

    Per tenant, so one tenant's schedule can be stopped without touching another's and the name
    says whose objects it runs; thousands of objects still make a handful of jobs per tenant.
    """
    groups: dict[ScheduleGroup, list[ObjectSpec]] = defaultdict(list)
    for spec in specs:
        schedule = spec.schedule
        if schedule.cron is None:
            continue
        timezone = schedule.timezone or (spec.partitions.timezone if spec.partitions else "UTC")
        source = spec.source if spec.source_config.concurrency else None
        group = ScheduleGroup(spec.tenant, source, schedule.cron, timezone, schedule.running, spec.partitions)
        groups[group].append(spec)
    return groups


def schedule_job_names(groups: list[ScheduleGroup]) -> dict[ScheduleGroup, str]:
    """Readable, stable job names: `<tenant>_<granularity>_<when>_<timezone>`, e.g. `demo_daily_0300_utc`
    (`<tenant>_<source>_...` for a source scheduled on its own).

    The name depends only on what the group selects, so it survives reloads and unrelated edits
    (run history and schedule state stay attached). Groups of one tenant that would read the same
    get the settings that tell them apart appended (`_from_20250101`, `_running`, ...).
    """
    by_base: dict[str, list[ScheduleGroup]] = defaultdict(list)
    for group in groups:
        granularity = group.partitions.granularity if group.partitions else "unpartitioned"
        owner = f"{group.tenant}_{group.source}" if group.source else group.tenant
        base = f"{owner}_{granularity}_{cron_slug(group.cron)}_{timezone_slug(group.timezone)}"
        by_base[base].append(group)
    names: dict[ScheduleGroup, str] = {}
    for base, clashing in by_base.items():
        for group in clashing:
            names[group] = "_".join([base, *_qualifiers(group, clashing)])
    return names


def maintenance_job_name(tenant: str) -> str:
    """The tenant's table maintenance job: `<tenant>_maintenance` (schedule jobs always name a
    granularity after the tenant, so they never read the same)."""
    return f"{tenant}_maintenance"


def schedule_name(job_name: str) -> str:
    """The schedule of a job: `<job>_schedule`, as Dagster names schedules built from jobs."""
    return f"{job_name}_schedule"


def _qualifiers(group: ScheduleGroup, clashing: list[ScheduleGroup]) -> list[str]:
    """The settings in which `group` differs from the others that share its base name."""
    if len(clashing) == 1:
        return []
    parts: list[str] = []
    partitions = [g.partitions for g in clashing]
    if group.partitions is not None:
        if len({p.start for p in partitions if p}) > 1:
            parts.append(f"from_{_start_slug(group.partitions.start)}")
        if len({p.timezone for p in partitions if p}) > 1:
            parts.append(f"in_{timezone_slug(group.partitions.timezone)}")
        if len({p.end_offset for p in partitions if p}) > 1:
            parts.append(f"offset_{group.partitions.end_offset}")
    if len({g.running for g in clashing}) > 1 and group.running:
        parts.append("running")
    return parts


def _start_slug(start: dt.date | dt.datetime | None) -> str:
    if isinstance(start, dt.datetime):
        return start.strftime("%Y%m%d%H%M")
    return start.strftime("%Y%m%d") if start else "none"


def cron_slug(cron: str) -> str:
    """A cron as name text: `0 3 * * *` → `0300`, `30 * * * *` → `hourly_at_30`, else field by field."""
    fields = cron.split()
    if len(fields) == 5:
        minute, hour, day, month, weekday = fields
        if minute.isdigit() and month == "*":
            if hour.isdigit() and day == "*" and weekday == "*":
                return f"{int(hour):02d}{int(minute):02d}"
            if hour.isdigit() and day == "*" and weekday.isalnum():
                return f"{weekday.lower()}_{int(hour):02d}{int(minute):02d}"
            if hour.isdigit() and day.isdigit() and weekday == "*":
                return f"day{int(day)}_{int(hour):02d}{int(minute):02d}"
            if day == "*" and weekday == "*" and hour == "*":
                return f"hourly_at_{int(minute):02d}"
            if day == "*" and weekday == "*" and (every := re.fullmatch(r"\*/(\d+)", hour)):
                return f"every_{every.group(1)}h_at_{int(minute):02d}"
    return "_".join(_cron_field_slug(field) for field in fields)


def _cron_field_slug(field: str) -> str:
    text = re.sub(r"\*/(\d+)", r"every\1", field.lower()).replace("*", "x")
    text = text.replace(",", "and").replace("-", "to").replace("/", "every")
    return re.sub(r"[^a-z0-9]", "", text)


def timezone_slug(timezone: str) -> str:
    """`Europe/Paris` → `europe_paris`, `Etc/GMT-5` → `etc_gmt_minus_5`."""
    text = re.sub(r"\+(?=\d)", "_plus_", timezone.lower())
    text = re.sub(r"-(?=\d)", "_minus_", text)
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")
