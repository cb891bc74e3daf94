"""`maintenance:` on a tenant: its tables' snapshot expiry, file cleanup and compaction schedule."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from atlas_assets.config.objects import Duration
from atlas_assets.config.settings import check_cron, check_timezone
from atlas_assets.config.strict import StrictModel


class MaintenanceConfig(StrictModel):
    """What the tenant's `<tenant>_maintenance` job does to each of its tables, and when."""

    expire_snapshots_older_than: Duration = Field(
        default=dt.timedelta(days=7), description="Snapshots older than this are expired (time travel ends)."
    )
    retain_last: int = Field(default=10, ge=1, description="Snapshots always kept, however old.")
    compact_small_files: bool = Field(
        default=True, description="Rewrite a window's small data files into target-size files."
    )
    remove_orphan_files_older_than: Duration = Field(
        default=dt.timedelta(days=3),
        description="Files no snapshot references are deleted once this old (a run may still be writing "
        "younger ones).",
    )
    cron: str | None = Field(default="0 5 * * *", description="When the job runs; null: no schedule.")
    timezone: str = "UTC"
    running: bool = Field(default=False, description="Start the schedule as RUNNING.")

    _cron = field_validator("cron")(check_cron)
    _tz = field_validator("timezone")(check_timezone)
