"""Each partition's own figures in a run that wrote several (a single-run backfill).

Dagster records one materialization per partition of such a run; these figures make each one
say what that partition holds, not what the whole run wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow.dataset as ds

from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.iceberg.partition_rows import split_by_partition


@dataclass(frozen=True)
class PartitionFigures:
    """What one partition of a run holds: its window, rows written and rows quarantined."""

    key: str
    window: TimeWindow
    rows_written: int
    rows_quarantined: int


def partition_figures(
    written: ds.Dataset,
    cursor: str | None,
    windows: dict[str, TimeWindow],
    quarantined: dict[str, int],
) -> list[PartitionFigures]:
    """Count the run's written rows by the partition they belong to (see `partition_rows`)."""
    return [
        PartitionFigures(
            part.key, part.window, part.dataset(written).count_rows(), quarantined.get(part.key, 0)
        )
        for part in split_by_partition(written.schema, cursor, windows)
    ]
