"""Upsert as copy-on-write: rewrite the files holding changed keys, add the new rows, one snapshot."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.expressions import AlwaysTrue, And, BooleanExpression, GreaterThanOrEqual, LessThanOrEqual
from pyiceberg.io.pyarrow import ArrowScan
from pyiceberg.manifest import DataFile
from pyiceberg.table import Table, Transaction

from atlas_assets.iceberg.data_files import DataFileWriter
from atlas_assets.iceberg.deletes import count_matching


def stage_upsert(
    tx: Transaction,
    table: Table,
    keys: pa.Table,
    new_files: list[DataFile],
    snapshot_properties: dict[str, str],
    target_file_bytes: int,
    run_id: str,
    deleted: pa.Table | None = None,
) -> tuple[int, int]:
    """Stage in `tx` the removal of every stored row whose key is in `keys` or `deleted` (keys
    the source deleted, disjoint from `keys`), plus `new_files`.

    Only files whose key range can hold one of the keys are read. Returns (rows replaced, rows deleted).
    """
    replaced = deleted_rows = 0
    if deleted is not None and deleted.num_rows:
        keys = pa.concat_tables([keys, deleted.cast(keys.schema)]) if keys.num_rows else deleted
    metadata = tx.table_metadata
    with tx.update_snapshot(snapshot_properties=snapshot_properties).overwrite() as overwrite:
        if keys.num_rows and table.current_snapshot() is not None:
            for task in table.scan(row_filter=_key_range(keys)).plan_files():
                stored = ArrowScan(metadata, table.io, metadata.schema(), AlwaysTrue()).to_table([task])
                matching_keys = keys.cast(stored.select(keys.column_names).schema)
                kept = stored.filter(pc.invert(_holds_key(stored, matching_keys)))
                if kept.num_rows == stored.num_rows:
                    continue
                gone = count_matching(stored, deleted) if deleted is not None else 0
                deleted_rows += gone
                replaced += stored.num_rows - kept.num_rows - gone
                overwrite.delete_data_file(task.file)
                if kept.num_rows:
                    for data_file in _rewrite(tx, table, kept, target_file_bytes, run_id):
                        overwrite.append_data_file(data_file)
        for data_file in new_files:
            overwrite.append_data_file(data_file)
    return replaced, deleted_rows


def _holds_key(stored: pa.Table, keys: pa.Table) -> pa.BooleanArray:
    """True for stored rows whose key is in `keys`.

    Only the key columns take part in the join: Arrow cannot carry list, struct or map columns
    through one.
    """
    rows = pa.array(range(stored.num_rows), pa.int64())
    probe = stored.select(keys.column_names).append_column("_atlas_row", rows)
    matched = probe.join(keys, keys=keys.column_names, join_type="left semi").column("_atlas_row")
    return pc.is_in(rows, value_set=matched.combine_chunks())


def _key_range(keys: pa.Table) -> BooleanExpression:
    """Prune by the first key column's min/max, which file statistics can answer."""
    first = keys.column(0)
    low, high = pc.min(first).as_py(), pc.max(first).as_py()
    if low is None:
        return AlwaysTrue()
    name = keys.column_names[0]
    if isinstance(low, int | float | str):
        return And(GreaterThanOrEqual(name, low), LessThanOrEqual(name, high))
    return AlwaysTrue()  # other key types: read every file, still correct


def _rewrite(
    tx: Transaction, table: Table, rows: pa.Table, target_file_bytes: int, run_id: str
) -> list[DataFile]:
    writer = DataFileWriter(table.io, tx.table_metadata, target_file_bytes, run_id)
    for batch in rows.cast(writer.arrow_schema).to_batches():
        writer.write(batch)
    return writer.close()
