"""Source objects and the base every source kind's config extends."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from atlas_assets.checks.quality.config import QualityConfig
from atlas_assets.config.concurrency import ConcurrencyConfig
from atlas_assets.config.errors import FieldError
from atlas_assets.config.pii_columns import PiiColumns, policy_conflict

# Re-exported: source kinds import `Secret` from here (it lives apart so `config.notify` can use it).
from atlas_assets.config.secret import Secret as Secret
from atlas_assets.config.settings import Duration as Duration
from atlas_assets.config.settings import InheritedSettings, Name
from atlas_assets.config.settings import parse_duration as parse_duration
from atlas_assets.connectors.type_names import parse_type_name
from atlas_assets.connectors.window_bounds import CursorFormat


class WriteMode(StrEnum):
    """How one run of an object's asset changes its Iceberg table (see design.md)."""

    PARTITION_OVERWRITE = "partition_overwrite"
    UPSERT = "upsert"
    APPEND = "append"
    REPLACE = "replace"
    SNAPSHOT = "snapshot"

    @property
    def is_partitioned(self) -> bool:
        return self in (WriteMode.PARTITION_OVERWRITE, WriteMode.UPSERT, WriteMode.SNAPSHOT)


def _known_type(name: str) -> str:
    parse_type_name(name)  # raises naming the type and the accepted ones
    return name


TypeName = Annotated[str, AfterValidator(_known_type)]
"""A declared column type (`int64`, `decimal(12,2)`, ...), checked at load rather than at run time."""


_TIME_TYPES = ("timestamp", "timestamptz", "date")


class ObjectConfig(InheritedSettings):
    """One object of a source: a table, a query or a file set, and how to write it."""

    description: str | None = None
    table: str | None = Field(
        default=None, description="Source table (may be schema-qualified); defaults to the name."
    )
    query: str | None = Field(default=None, description="A named SQL query instead of a table.")
    columns: list[str] | None = Field(default=None, description="Columns to extract; all when omitted.")
    cursor: str | None = Field(
        default=None, description="Column that places a row in a time window or id order."
    )
    cursor_format: CursorFormat | None = Field(
        default=None,
        description="How an integer or text cursor encodes time: iso8601 (text's default), epoch_seconds "
        "or epoch_millis; such a cursor is stored as a UTC timestamp.",
    )
    primary_key: list[str] = Field(default_factory=list)
    write: WriteMode | None = Field(
        default=None, description="Defaults to partition_overwrite with a cursor, else replace."
    )
    version: list[str] | None = Field(
        default=None,
        description="Upsert: columns ordering a key's versions (an older row or delete never overrides a "
        "newer one); the cursor by default.",
    )
    lookback: Duration = Field(default=None, description="Extend each window's start back by this much.")
    column_types: dict[str, TypeName] = Field(
        default_factory=dict,
        description=(
            "Declared column types, e.g. {amount: 'decimal(12,2)'}; rows that don't fit are quarantined."
        ),
    )
    pii: PiiColumns = Field(
        default_factory=dict,
        description="Columns holding personal data: a list, or column → hash | mask | redact | keep.",
    )
    quality: QualityConfig = Field(default_factory=QualityConfig, description="Data quality checks.")
    subject_keys: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Data-subject keys for GDPR erase: key kind → column, e.g. {email: email, customer_id: id}."
        ),
    )

    @field_validator("pii")
    @classmethod
    def _pii_policies_fit_the_object(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        data = info.data
        key, types = data.get("primary_key") or [], data.get("column_types") or {}
        problem = policy_conflict(value, data.get("cursor"), key, types)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("primary_key", mode="before")
    @classmethod
    def _single_key(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("primary_key")
    @classmethod
    def _distinct_key_columns(cls, value: list[str]) -> list[str]:
        repeated = sorted({column for column in value if value.count(column) > 1})
        if repeated:
            raise ValueError(f"column {', '.join(map(repr, repeated))} is listed more than once")
        return value

    def reject_sql_selection(self, instead: str) -> None:
        """For kinds that read no SQL: `table` or `query` is a mistake, answered with `instead`."""
        for field in ("table", "query"):
            if getattr(self, field) is not None:
                raise FieldError(field, instead)

    @model_validator(mode="after")
    def _consistent(self) -> ObjectConfig:
        if self.table is not None and self.query is not None:
            raise FieldError("query", "give either 'table' or 'query', not both")
        mode = self.write_mode
        if mode in (WriteMode.PARTITION_OVERWRITE, WriteMode.UPSERT, WriteMode.APPEND) and not self.cursor:
            raise FieldError("cursor", f"write mode '{mode}' needs a 'cursor' column")
        windowed = mode in (WriteMode.PARTITION_OVERWRITE, WriteMode.UPSERT)
        declared = self.column_types.get(self.cursor or "")
        if windowed and declared is not None and declared not in _TIME_TYPES:
            # The cursor's rows are cut into time windows in the table too: it must hold a time.
            raise FieldError(
                f"column_types.{self.cursor}",
                f"cursor {self.cursor!r} places rows in time windows, so it cannot be declared "
                f"{declared!r}; declare one of {', '.join(_TIME_TYPES)}, or leave it undeclared and set "
                "`cursor_format` for epoch numbers",
            )
        if mode is WriteMode.UPSERT and not self.primary_key:
            raise FieldError("primary_key", "write mode 'upsert' needs a 'primary_key'")
        if self.version is not None and mode is not WriteMode.UPSERT:
            raise FieldError("version", "only write mode 'upsert' compares row versions")
        if mode is WriteMode.REPLACE and self.cursor:
            # A replace run reads the whole table, so a cursor would be silently ignored.
            raise FieldError(
                "cursor",
                "write mode 'replace' reads the whole table and never uses a cursor; remove 'cursor', "
                "or choose a write mode that uses it (partition_overwrite, upsert, append)",
            )
        return self

    @property
    def version_columns(self) -> tuple[str, ...]:
        """Upserts: the columns ordering a key's versions (the cursor unless `version` says otherwise)."""
        if self.write_mode is not WriteMode.UPSERT:
            return ()
        if self.version is not None:
            return tuple(self.version)
        return (self.cursor,) if self.cursor else ()

    @property
    def write_mode(self) -> WriteMode:
        if self.write is not None:
            return self.write
        return WriteMode.PARTITION_OVERWRITE if self.cursor else WriteMode.REPLACE


ObjectName = Name


def _objects_shorthand(value: Any) -> Any:
    """`objects: [a, b]` is short for `objects: {a: {}, b: {}}`."""
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise ValueError("a list of objects must hold names only; use a mapping to configure them")
        return {name: {} for name in value}
    if isinstance(value, dict):
        return {name: {} if cfg is None else cfg for name, cfg in value.items()}
    return value


class SourceConfigBase(InheritedSettings):
    """Fields every source kind shares. Each kind subclasses this with `kind: Literal[...]`."""

    kind: str
    lists_files: ClassVar[bool] = False
    """Whether the kind's resource implements `connectors.file_versions.ListsFiles` (file arrival)."""
    description: str | None = None
    concurrency: ConcurrencyConfig | None = Field(
        default=None, description="Runs reading this source in progress at once (the run queue enforces it)."
    )
    objects: Annotated[dict[ObjectName, ObjectConfig], BeforeValidator(_objects_shorthand)] = Field(
        min_length=1
    )

    def object_configs(self) -> dict[str, ObjectConfig]:
        return dict(self.objects)

    def reference_problems(self) -> list[FieldError]:
        """What is wrong with the files or directories the source names; checked when runner.yaml is
        loaded from a file (`config.references`), never when its text is parsed."""
        return []
