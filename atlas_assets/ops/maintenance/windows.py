"""Which partition window a data file's rows fall in, read from the file's column bounds."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pyiceberg.conversions import from_bytes
from pyiceberg.manifest import DataFile
from pyiceberg.table import Table
from pyiceberg.types import DateType, TimestampType, TimestamptzType

from atlas_assets.config.objects import WriteMode
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.factory.partitions import partitions_def_for
from atlas_assets.ingest.lineage_columns import PARTITION_FIELD

if TYPE_CHECKING:
    from atlas_assets.iceberg.compaction import WindowOf  # imports pandas: not at definitions load

WHOLE_TABLE = "*"


def window_of(spec: ObjectSpec) -> WindowOf:
    """The `WindowOf` of the object's table.

    Cursor-partitioned objects: the partition key of the cursor's lower and upper bound, if
    they agree. Snapshot objects: the `_atlas_partition` value. Unpartitioned objects (replace,
    append): one window, the whole table.
    """
    partitions_def = partitions_def_for(spec)
    if spec.write_mode is WriteMode.SNAPSHOT:
        return lambda table, data_file: _equal_bounds(table, data_file, PARTITION_FIELD.name)
    if partitions_def is None or spec.config.cursor is None:
        return lambda _table, _file: WHOLE_TABLE
    cursor = spec.config.cursor

    def by_cursor(table: Table, data_file: DataFile) -> str | None:
        bounds = _bounds(table, data_file, cursor)
        if bounds is None:
            return None
        keys = {partitions_def.get_partition_key_for_timestamp(moment.timestamp()) for moment in bounds}
        return keys.pop() if len(keys) == 1 else None

    return by_cursor


def _bounds(table: Table, data_file: DataFile, column: str) -> tuple[dt.datetime, dt.datetime] | None:
    field = table.schema().find_field(column)
    lower, upper = (
        (data_file.lower_bounds or {}).get(field.field_id),
        (data_file.upper_bounds or {}).get(field.field_id),
    )
    if lower is None or upper is None:
        return None
    values = from_bytes(field.field_type, lower), from_bytes(field.field_type, upper)
    if isinstance(field.field_type, TimestampType | TimestamptzType):
        # Naive timestamps are UTC, as the windows that wrote them (`row_filters`).
        return tuple(dt.datetime.fromtimestamp(v / 1_000_000, dt.UTC) for v in values)  # type: ignore[return-value]
    if isinstance(field.field_type, DateType):
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return tuple(epoch + dt.timedelta(days=v) for v in values)  # type: ignore[return-value]
    return None


def _equal_bounds(table: Table, data_file: DataFile, column: str) -> str | None:
    field = table.schema().find_field(column)
    lower = (data_file.lower_bounds or {}).get(field.field_id)
    upper = (data_file.upper_bounds or {}).get(field.field_id)
    # Parquet truncates long string bounds; partition keys are short, so equal bounds are exact.
    return lower.decode() if lower is not None and lower == upper else None
