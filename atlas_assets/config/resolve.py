"""Resolving inheritance: one fully-specified `ObjectSpec` per tenant × source × object."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import dagster as dg

from atlas_assets.config import naming
from atlas_assets.config.errors import ConfigProblem
from atlas_assets.config.notify import NotifyTarget
from atlas_assets.config.objects import ObjectConfig, SourceConfigBase, WriteMode
from atlas_assets.config.runner import RunnerConfig, TenantConfig
from atlas_assets.config.settings import (
    FreshnessConfig,
    InheritedSettings,
    PartitionsConfig,
    PiiConfig,
    RetryConfig,
    ScheduleConfig,
    SensorConfig,
    merge_settings,
)
from atlas_assets.connectors.contract import DEFAULT_BATCH_SIZE


@dataclass(frozen=True)
class ObjectSpec:
    """Everything the definitions factory needs to know about one object, inheritance applied."""

    tenant: str
    source: str
    name: str
    namespace: str
    tenant_config: TenantConfig
    source_config: SourceConfigBase
    config: ObjectConfig
    partitions: PartitionsConfig | None
    schedule: ScheduleConfig
    retry: RetryConfig
    pii_scan: PiiConfig
    owners: tuple[str, ...]
    batch_size: int
    quarantine_suffix: str = naming.DEFAULT_QUARANTINE_SUFFIX
    notify: tuple[NotifyTarget, ...] = ()
    notify_path: str | None = None
    freshness: FreshnessConfig | None = None
    sensor: SensorConfig = field(default_factory=SensorConfig)

    @property
    def watches_files(self) -> bool:
        """Whether the object gets a file-arrival sensor: enabled at its nearest level, and its source
        lists files (set only at the tenant or defaults, `file_arrival` skips other kinds)."""
        return self.sensor.file_arrival and self.source_config.lists_files

    @property
    def path(self) -> str:
        """The object's place in runner.yaml, used in every error about it."""
        return f"tenants.{self.tenant}.sources.{self.source}.objects.{self.name}"

    @property
    def label(self) -> str:
        return f"{self.tenant}.{self.source}.{self.name}"

    @cached_property
    def asset_key(self) -> dg.AssetKey:
        return naming.asset_key(self.tenant, self.source, self.name)

    @property
    def write_mode(self) -> WriteMode:
        return self.config.write_mode

    @property
    def table_name(self) -> str:
        return naming.table_name(self.source, self.name)

    @property
    def quarantine_table(self) -> str:
        return naming.quarantine_table_name(self.table_name, self.quarantine_suffix)

    @property
    def resource_key(self) -> str:
        return naming.resource_key(self.tenant, self.source)


def resolve_objects(config: RunnerConfig) -> tuple[list[ObjectSpec], list[ConfigProblem]]:
    """Every object's spec, and a problem for each object whose inherited settings are incomplete."""
    specs: list[ObjectSpec] = []
    problems: list[ConfigProblem] = []
    for tenant_name, tenant in config.tenants.items():
        for source_name, source in tenant.sources.items():
            for object_name, obj in source.object_configs().items():
                spec = _resolve_one(config, tenant_name, tenant, source_name, source, object_name, obj)
                if spec.write_mode.is_partitioned and (
                    spec.partitions is None or spec.partitions.start is None
                ):
                    problems.append(
                        ConfigProblem(
                            f"{spec.path}.partitions.start",
                            f"write mode '{spec.write_mode}' is partitioned, so partitions.start is required "
                            "(set it under defaults, the tenant, the source or the object)",
                        )
                    )
                problems += _file_arrival_problems(spec, source, obj)
                specs.append(spec)
    return specs, problems


def _file_arrival_problems(
    spec: ObjectSpec, source: SourceConfigBase, obj: ObjectConfig
) -> list[ConfigProblem]:
    """`sensor.file_arrival: true` written on a source or object whose kind has no files to watch."""
    if source.lists_files:
        return []
    problems = []
    for path, level in ((spec.path, obj), (f"tenants.{spec.tenant}.sources.{spec.source}", source)):
        if level.sensor is not None and level.sensor.file_arrival:
            problems.append(
                ConfigProblem(
                    f"{path}.sensor.file_arrival",
                    f"kind '{source.kind}' has no files to watch; file_arrival is for file sources (csv)",
                )
            )
    return problems


def _resolve_one(
    config: RunnerConfig,
    tenant_name: str,
    tenant: TenantConfig,
    source_name: str,
    source: SourceConfigBase,
    object_name: str,
    obj: ObjectConfig,
) -> ObjectSpec:
    merged = merge_settings([config.defaults, tenant, source, obj])
    partitions = PartitionsConfig(**merged.get("partitions", {})) if obj.write_mode.is_partitioned else None
    return ObjectSpec(
        tenant=tenant_name,
        source=source_name,
        name=object_name,
        namespace=tenant.namespace or tenant_name,
        tenant_config=tenant,
        source_config=source,
        config=obj,
        partitions=partitions,
        schedule=ScheduleConfig(**merged.get("schedule", {})),
        retry=RetryConfig(**merged.get("retry", {})),
        pii_scan=PiiConfig(**merged.get("pii_scan", {})),
        owners=tuple(merged.get("owners", ())),
        batch_size=merged.get("batch_size", DEFAULT_BATCH_SIZE),
        quarantine_suffix=config.warehouse.quarantine_suffix,
        freshness=_freshness(merged),
        sensor=SensorConfig(**merged.get("sensor", {})),
        **_nearest_notify(
            [
                (f"tenants.{tenant_name}.sources.{source_name}.objects.{object_name}", obj),
                (f"tenants.{tenant_name}.sources.{source_name}", source),
                (f"tenants.{tenant_name}", tenant),
                ("defaults", config.defaults),
            ]
        ),
    )


def _freshness(merged: dict[str, Any]) -> FreshnessConfig | None:
    """The object's freshness settings, or None when no level sets `max_lag` (no check)."""
    freshness = FreshnessConfig(**merged.get("freshness", {}))
    return freshness if freshness.max_lag is not None else None


def _nearest_notify(levels: list[tuple[str, InheritedSettings]]) -> dict[str, Any]:
    """The nearest level's `notify` list and that level's path (which names its targets)."""
    for path, level in levels:
        if level.notify is not None:
            return {"notify": tuple(level.notify), "notify_path": path}
    return {}
