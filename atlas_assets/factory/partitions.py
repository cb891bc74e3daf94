"""One shared `PartitionsDefinition` object per distinct (granularity, start, timezone, offset)."""

from __future__ import annotations

import datetime as dt
from functools import cache

import dagster as dg

from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.config.settings import PartitionsConfig

_FORMATS = {"hourly": "%Y-%m-%d-%H:%M", "daily": "%Y-%m-%d", "weekly": "%Y-%m-%d", "monthly": "%Y-%m-%d"}
_CLASSES: dict[str, type[dg.TimeWindowPartitionsDefinition]] = {
    "hourly": dg.HourlyPartitionsDefinition,
    "daily": dg.DailyPartitionsDefinition,
    "weekly": dg.WeeklyPartitionsDefinition,
    "monthly": dg.MonthlyPartitionsDefinition,
}


def partitions_def_for(spec: ObjectSpec) -> dg.TimeWindowPartitionsDefinition | None:
    """The object's partitions, or None for unpartitioned write modes (replace, append)."""
    return None if spec.partitions is None else shared_partitions_def(spec.partitions)


@cache
def shared_partitions_def(config: PartitionsConfig) -> dg.TimeWindowPartitionsDefinition:
    """Cached so every asset with the same settings holds the very same object."""
    assert config.start is not None, "resolve_objects guarantees a start for partitioned objects"
    start = config.start
    if not isinstance(start, dt.datetime):
        start = dt.datetime.combine(start, dt.time())
    return _CLASSES[config.granularity](
        start_date=start.strftime(_FORMATS[config.granularity]),
        timezone=config.timezone,
        end_offset=config.end_offset,
    )
