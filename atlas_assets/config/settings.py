"""Settings inherited defaults → tenant → source → object, nearest wins, field by field."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from atlas_assets.config.notify import NotifyTarget
from atlas_assets.config.strict import StrictModel

# No `__` and no leading or trailing `_`: `__` is the separator of generated names (config.naming).
NAME_PATTERN = r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$"
NAME_MAX_LENGTH = 63
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=NAME_MAX_LENGTH)]
"""A tenant, source or object name: it becomes part of asset keys and Iceberg identifiers."""

Granularity = Literal["hourly", "daily", "weekly", "monthly"]


def check_timezone(value: str | None) -> str | None:
    """`value` if it is an IANA timezone name (or None)."""
    if value is None:
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {value!r}; use an IANA name such as 'UTC' or 'Europe/Paris'"
        ) from exc
    return value


def check_cron(value: str | None) -> str | None:
    """`value` if it is a valid cron expression (or None)."""
    if value is None:
        return value
    from dagster._utils.schedules import is_valid_cron_string

    if not is_valid_cron_string(value):
        raise ValueError(f"{value!r} is not a valid cron expression (five fields, e.g. '0 3 * * *')")
    return value


class PartitionsConfig(StrictModel):
    """Time-window partitions of an object's asset."""

    granularity: Granularity = "daily"
    start: dt.date | dt.datetime | None = Field(
        default=None, description="First partition, ISO date or datetime. Required somewhere in the chain."
    )
    timezone: str = "UTC"
    end_offset: int = Field(default=0, ge=0, description="Extra partitions past the last complete one.")

    _tz = field_validator("timezone")(check_timezone)


class ScheduleConfig(StrictModel):
    """When the object's latest partition is materialized. `cron: null` disables scheduling."""

    cron: str | None = None
    timezone: str | None = Field(default=None, description="Defaults to the partitions' timezone.")
    running: bool = Field(default=False, description="Start the schedule as RUNNING instead of STOPPED.")

    _tz = field_validator("timezone")(check_timezone)

    _cron = field_validator("cron")(check_cron)


class RetryConfig(StrictModel):
    """Dagster RetryPolicy for transient failures."""

    max_retries: int = Field(default=3, ge=0, le=100)
    delay_seconds: float = Field(default=30, ge=0)
    backoff: Literal["linear", "exponential"] | None = "exponential"
    jitter: Literal["full", "plus_minus"] | None = None


_DURATION = re.compile(r"^(?P<n>\d+)\s*(?P<unit>s|m|h|d|w)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: Any) -> dt.timedelta | None:
    """'90s', '30m', '2h', '1d', '1w' (or seconds as a number) → timedelta."""
    if value is None or isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.timedelta(seconds=value)
    match = _DURATION.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a duration; write e.g. '30m', '2h' or '1d'")
    return dt.timedelta(**{_UNITS[match.group("unit")]: int(match.group("n"))})


Duration = Annotated[dt.timedelta | None, BeforeValidator(parse_duration)]


class FreshnessConfig(StrictModel):
    """How stale an object's data may get: a Dagster freshness check fails past `max_lag`."""

    max_lag: Duration = Field(
        default=None, description="Longest time since the last materialization before the data is stale."
    )


class SensorConfig(StrictModel):
    """Sensors of an object: `file_arrival` runs the partitions that new or changed files touch."""

    file_arrival: bool = Field(
        default=False,
        description="Watch the object's files and request the partitions a new or changed file touches "
        "(file sources only: csv).",
    )
    interval_seconds: int = Field(
        default=30, ge=5, le=86_400, description="Seconds between the sensor's ticks."
    )


DEFAULT_PII_ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "PERSON",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
)
DEFAULT_PHONE_REGIONS = ("US", "GB", "DE", "FR", "IN", "CA", "BR", "IL")


class PiiConfig(StrictModel):
    """How PII scans sample data and treat PII in columns not declared in `pii:`, and where masking runs.

    `on_undeclared`: `ignore` skips the scan, `warn` reports a WARN check, `fail` a blocking ERROR.
    """

    sample_rows: int = Field(default=1000, ge=1, description="Rows sampled (deterministically) per run.")
    on_undeclared: Literal["ignore", "warn", "fail"] = "warn"
    entities: tuple[str, ...] = Field(
        default=DEFAULT_PII_ENTITIES,
        description="Presidio entity types to look for; tenant recognizers' entities are added.",
    )
    score_threshold: float = Field(default=0.4, ge=0.0, le=1.0, description="Lowest Presidio score counted.")
    min_hit_rate: float = Field(
        default=0.05,
        gt=0.0,
        le=1.0,
        description="Share of sampled non-null values that must hold an entity for it to be reported.",
    )
    exclude_columns: tuple[str, ...] = Field(default=(), description="Columns never scanned.")
    phone_regions: tuple[str, ...] = Field(
        default=DEFAULT_PHONE_REGIONS,
        min_length=1,
        description="Regions of national-format phone numbers, likeliest first.",
    )
    masking: Literal["on_write", "silver"] = Field(
        default="on_write",
        description="Apply `pii:` policies as rows are written (bronze never holds clear values) "
        "or in a derived `<object>_silver` asset.",
    )
    preload_engine: bool = Field(
        default=True,
        description="Load Presidio in a forked worker process while the run extracts, so the scan "
        "waits for neither spaCy nor the NER model (about 1.3 s less per run; the child holds "
        "~270 MB of its own while the run lasts).",
    )


class InheritedSettings(StrictModel):
    """Keys allowed at every level of runner.yaml; the nearest level wins per field."""

    partitions: PartitionsConfig | None = None
    schedule: ScheduleConfig | None = None
    retry: RetryConfig | None = None
    pii_scan: PiiConfig | None = None
    freshness: FreshnessConfig | None = None
    sensor: SensorConfig | None = None
    owners: list[str] | None = Field(default=None, description="Emails or 'team:name'.")
    batch_size: int | None = Field(default=None, ge=1, description="Rows per extracted Arrow batch.")
    notify: list[NotifyTarget] | None = Field(
        default=None, description="Where failures are notified; the nearest level's list wins as a whole."
    )

    @field_validator("owners")
    @classmethod
    def _owner_format(cls, value: list[str] | None) -> list[str] | None:
        for owner in value or []:
            if not _OWNER_RE.match(owner):
                raise ValueError(f"owner {owner!r} must be an email address or 'team:<name>'")
        return value


_OWNER_RE = re.compile(r"^(team:[A-Za-z0-9_.-]+|[^@\s]+@[^@\s]+\.[^@\s]+)$")

INHERITED_KEYS: tuple[str, ...] = tuple(InheritedSettings.model_fields)


_INHERITED = frozenset(INHERITED_KEYS)


def merge_settings(levels: list[InheritedSettings]) -> dict[str, Any]:
    """Merge explicitly-set fields of each level, farthest first; nested sections merge per field."""
    merged: dict[str, Any] = {}
    for level in levels:
        for key in level.model_fields_set & _INHERITED:
            value = getattr(level, key)
            if isinstance(value, BaseModel):
                merged[key] = {**merged.get(key, {}), **value.model_dump(exclude_unset=True)}
            elif value is not None:
                merged[key] = value
    return merged
