"""What one run writes to one table: the mode, the rows it replaces and the lineage it stamps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from atlas_assets.config.objects import WriteMode
from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.ingest.lineage_columns import LineageValues


@dataclass(frozen=True)
class WritePlan:
    """Everything the table writer needs; built by the IO manager from the asset and its context."""

    namespace: str
    table: str
    label: str
    mode: WriteMode
    lineage: LineageValues
    cursor: str | None = None
    primary_key: tuple[str, ...] = ()
    version: tuple[str, ...] = ()
    """Upserts: the columns ordering a key's versions (see `iceberg.upsert`); none: every change applies."""
    window: TimeWindow | None = None
    lookback: dt.timedelta | None = None
    partition_keys: tuple[str, ...] = ()
    column_types: dict[str, pa.DataType] = field(default_factory=dict)
    partition_of: Callable[[dt.datetime], str] | None = None

    @property
    def identifier(self) -> tuple[str, str]:
        return (self.namespace, self.table)

    @property
    def extract_window(self) -> TimeWindow | None:
        """The window rows are read from and replaced in: the partition window plus lookback."""
        return self.window.extended_back(self.lookback) if self.window else None

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The primary key, then the version columns that are not part of it."""
        return (*self.primary_key, *(v for v in self.version if v not in self.primary_key))

    @property
    def display_name(self) -> str:
        return f"{self.namespace}.{self.table}"

    def snapshot_properties(self) -> dict[str, str]:
        """Recorded in the snapshot summary: which run and which partitions produced it."""
        properties = {"atlas.run-id": self.lineage.run_id, "atlas.write-mode": str(self.mode)}
        if self.partition_keys:
            first, last = self.partition_keys[0], self.partition_keys[-1]
            properties["atlas.partitions"] = first if first == last else f"{first}...{last}"
        return properties
