"""The root runner.yaml model: defaults, warehouse, tenants and their sources."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from atlas_assets.config.concurrency import ConcurrencyConfig
from atlas_assets.config.maintenance import MaintenanceConfig
from atlas_assets.config.naming import DEFAULT_QUARANTINE_SUFFIX, QUARANTINE_SUFFIX_PATTERN, TOMBSTONE_SUFFIX
from atlas_assets.config.privacy import TenantPrivacyConfig, objects_hashing_without_secret
from atlas_assets.config.secret import Secret
from atlas_assets.config.settings import InheritedSettings, Name, StrictModel
from atlas_assets.connectors.registry import SourceConfig


class CatalogConfig(StrictModel):
    """The Iceberg catalog: SQL (SQLite embedded, PostgreSQL in production), REST or Glue."""

    name: str = "atlas"
    type: Literal["sql", "rest", "glue"] = "sql"
    uri: Secret | None = Field(default=None, description="Catalog database URL (sql) or endpoint (rest).")
    properties: dict[str, Secret] = Field(
        default_factory=dict, description="Extra pyiceberg catalog properties (tokens and keys allowed)."
    )


class WarehouseConfig(StrictModel):
    """Where Iceberg tables live and how files are written."""

    catalog: CatalogConfig = Field(default_factory=CatalogConfig)
    location: str = Field(default=".atlas/warehouse", description="Local path or s3://bucket/prefix.")
    target_file_mb: int = Field(
        default=128, ge=1, description="Rolling size of written data files (in Arrow bytes)."
    )
    quarantine_suffix: str = Field(
        default=DEFAULT_QUARANTINE_SUFFIX,
        pattern=QUARANTINE_SUFFIX_PATTERN,
        description="Appended to a table's name for its quarantine table; starts with `__`, which no "
        "object name can hold, so a quarantine table is never another object's table.",
    )

    @field_validator("quarantine_suffix")
    @classmethod
    def _not_the_tombstones(cls, value: str) -> str:
        if value == TOMBSTONE_SUFFIX:
            raise ValueError(
                f"{TOMBSTONE_SUFFIX!r} names every upsert table's tombstones; choose another suffix"
            )
        return value


ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class TenantConfig(InheritedSettings):
    """A tenant: an Iceberg namespace, a Dagster asset group and its sources."""

    description: str | None = None
    namespace: Name | None = Field(
        default=None, description="Iceberg namespace; the tenant name by default. No two tenants share one."
    )
    sources: dict[Name, SourceConfig] = Field(min_length=1)
    shared_env: list[Annotated[str, Field(pattern=ENV_VAR_PATTERN)]] = Field(
        default_factory=list,
        description="Platform variables (owned by no tenant) this tenant may name in `${VAR}`; "
        "see config.env_scope.",
    )
    concurrency: ConcurrencyConfig | None = Field(
        default=None, description="Runs of this tenant in progress at once (the run queue enforces it)."
    )
    maintenance: MaintenanceConfig | None = Field(
        default=None, description="Snapshot expiry, file cleanup and compaction of the tenant's tables."
    )
    privacy: TenantPrivacyConfig = Field(
        default_factory=TenantPrivacyConfig,
        description="HMAC secret for `hash` masking and custom PII recognizers.",
    )

    @model_validator(mode="after")
    def _hashing_needs_a_secret(self) -> TenantConfig:
        if self.privacy.secret is None and (hashing := objects_hashing_without_secret(self.sources)):
            raise ValueError(
                f"privacy.secret is required: {', '.join(hashing)} use the 'hash' PII policy "
                '(set privacy.secret to "${SOME_VAR}", at least 16 characters)'
            )
        return self


class RunnerConfig(StrictModel):
    """runner.yaml as a whole."""

    defaults: InheritedSettings = Field(default_factory=InheritedSettings)
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    tenants: dict[Name, TenantConfig] = Field(default_factory=dict)
