"""Reading a table, a time window or a set of partitions back as Arrow."""

from __future__ import annotations

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.expressions import AlwaysTrue, BooleanExpression

from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.iceberg.row_filters import partition_filter, window_filter
from atlas_assets.ingest.lineage_columns import PARTITION_FIELD


def read_table(
    catalog: Catalog,
    identifier: tuple[str, str],
    cursor: str | None = None,
    window: TimeWindow | None = None,
    partition_keys: tuple[str, ...] = (),
) -> pa.Table:
    """Rows of the window (by cursor) or of the partition keys (by `_atlas_partition`), else all."""
    if not catalog.table_exists(identifier):
        raise FileNotFoundError(
            f"Iceberg table {'.'.join(identifier)} does not exist yet: materialize its asset first"
        )
    table = catalog.load_table(identifier)
    row_filter: BooleanExpression = AlwaysTrue()
    if cursor and window is not None:
        row_filter = window_filter(table.schema(), cursor, window)
    elif partition_keys and PARTITION_FIELD.name in table.schema().column_names:
        row_filter = partition_filter(PARTITION_FIELD.name, partition_keys)
    return table.scan(row_filter=row_filter).to_arrow()
