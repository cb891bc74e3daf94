"""The `quality:` section of an object in runner.yaml: what its data must look like.

Only `atlas_assets.config.settings` is imported here, because `config/objects.py` imports this
module to declare `ObjectConfig.quality`; anything more would be an import cycle.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from atlas_assets.config.settings import StrictModel

Severity = Literal["warn", "error"]

# Formats named in runner.yaml and the regular expression that defines each. The expressions use
# only syntax that Python's `re` and DuckDB's RE2 read the same way, because config validation
# compiles them with `re` and the checks run them in DuckDB.
NAMED_FORMATS: dict[str, str] = {
    "email": r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$",
    "uuid": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
}

Scalar = str | int | float | bool


class ColumnRule(StrictModel):
    """What makes a non-null value of one column valid; nulls are `required`'s business."""

    format: Literal["email", "uuid"] | None = Field(default=None, description="A named format.")
    regex: str | None = Field(default=None, description="Values must match this regular expression (RE2).")
    allowed_values: list[Scalar] | None = Field(
        default=None, min_length=1, description="The only valid values."
    )
    min: float | None = Field(default=None, description="Smallest valid number (inclusive).")
    max: float | None = Field(default=None, description="Largest valid number (inclusive).")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"regex {value!r} does not compile: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _says_something(self) -> ColumnRule:
        if all(getattr(self, name) is None for name in ("format", "regex", "allowed_values", "min", "max")):
            raise ValueError("give at least one of format, regex, allowed_values, min or max")
        if self.format is not None and self.regex is not None:
            raise ValueError("give either 'format' or 'regex', not both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self

    @property
    def pattern(self) -> str | None:
        """The regular expression valid values match, if the rule has one."""
        return NAMED_FORMATS[self.format] if self.format is not None else self.regex


class RowCountBounds(StrictModel):
    """How many rows one run may write; a bound left out is not checked."""

    min: int | None = Field(
        default=1,
        ge=0,
        description="Fewest rows; 1 by default, so an empty window is flagged (none for append and "
        "upsert, whose quiet runs write nothing).",
    )
    max: int | None = Field(default=None, ge=0, description="Most rows.")

    @model_validator(mode="after")
    def _ordered(self) -> RowCountBounds:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self

    @property
    def is_bounded(self) -> bool:
        return bool(self.min) or self.max is not None


class CheckPolicy(StrictModel):
    """Severity and blocking for one named check, overriding the object's defaults."""

    severity: Severity | None = None
    blocking: bool | None = None


class QualityConfig(StrictModel):
    """Data quality contract of one object, checked on exactly the rows each run writes.

    Checks are generated from what the object already declares (primary key, cursor, `columns`)
    plus the rules below, and merged with an optional hand-written Soda contract file.
    """

    enabled: bool = Field(default=True, description="Set false to declare no quality checks at all.")
    severity: Severity = Field(
        default="error", description="Severity of a failed check unless `checks` overrides it."
    )
    blocking: bool = Field(
        default=False,
        description="Whether a failed ERROR check stops downstream assets, unless `checks` overrides it.",
    )
    required: list[str] = Field(default_factory=list, description="Columns that must never be null.")
    columns: dict[str, ColumnRule] = Field(default_factory=dict, description="Validity rules per column.")
    row_count: RowCountBounds | None = Field(
        default_factory=RowCountBounds,
        description="Bounds on the rows one run writes; null disables the check.",
    )
    freshness: bool = Field(
        default=True, description="Check that the newest cursor value lies in the partition window."
    )
    schema_check: bool = Field(
        default=True, alias="schema", description="Check that the columns runner.yaml names are present."
    )
    contract_file: str | None = Field(
        default=None,
        description="A Soda contract YAML merged into the generated one; relative to runner.yaml.",
    )
    checks: dict[str, CheckPolicy] = Field(
        default_factory=dict, description="Severity/blocking per check name (e.g. `freshness_updated_at`)."
    )

    def policy(self, check_name: str) -> tuple[Severity, bool]:
        """The (severity, blocking) that apply to one check."""
        override = self.checks.get(check_name)
        severity = override.severity if override and override.severity is not None else self.severity
        blocking = override.blocking if override and override.blocking is not None else self.blocking
        return severity, blocking
