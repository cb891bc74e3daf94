"""Upsert as merge-on-read, guarded by row versions: one snapshot per run.

The run's rows are new data files; the stored rows they replace (and the rows the source
deleted) are removed by position delete files, so the cost follows the change, not the table.

The rule, for each key (versions compare as `row_versions` says; a delete wins a tie):

- an incoming row replaces the stored row unless the stored row's version is newer, and is
  written only if no tombstone of the key is as new or newer;
- an incoming delete removes the stored row unless the stored row's version is newer;
- a key both upserted and deleted by one run keeps whichever is newer.

Rows or deletes that lose are not applied and are counted as stale, so re-running an older
partition after a newer one changes nothing. Without version columns every row and delete
applies, as sent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from pyiceberg.expressions import AlwaysTrue, And, BooleanExpression, GreaterThanOrEqual, LessThanOrEqual
from pyiceberg.io import FileIO
from pyiceberg.io.pyarrow import schema_to_pyarrow
from pyiceberg.manifest import DataFile
from pyiceberg.table import Table, Transaction

from atlas_assets.iceberg.data_files import DataFileWriter, arrow_paths
from atlas_assets.iceberg.position_deletes import (
    ROW_POSITION,
    live_rows,
    overwrite_with_deletes,
    write_position_deletes,
)
from atlas_assets.iceberg.row_versions import is_newer

_RIVAL = "_atlas_rival"


@dataclass(frozen=True)
class UpsertChange:
    """What one run upserts, as key and version columns (in the stored table's types)."""

    key: tuple[str, ...]
    version: tuple[str, ...]
    rows: pa.Table
    """One row per key the run writes (its data files hold these rows)."""
    deleted: pa.Table
    """One row per key the source deleted, with the delete's version."""
    tombstones: pa.Table | None = None
    """Stored tombstones of these keys (key and version of the latest delete), if any."""

    @property
    def versioned(self) -> tuple[str, ...]:
        """The version columns that are not key columns (those are equal on both sides)."""
        return tuple(v for v in self.version if v not in self.key)


@dataclass
class UpsertOutcome:
    """What the staged upsert does to the table."""

    files: list[DataFile] = field(default_factory=list)
    """The data files committed: the run's, rewritten without its stale rows if it had any."""
    delete_files: list[DataFile] = field(default_factory=list)
    """The position delete files committed: one per stored data file the run removed rows from."""
    replaced: int = 0
    deleted: int = 0
    stale_rows: int = 0
    """Incoming rows not written: the table holds a newer version, or a tombstone as new."""
    stale_deletes: int = 0
    """Deletes not applied: the stored row is newer."""


def stage_upsert(
    tx: Transaction,
    table: Table,
    change: UpsertChange,
    new_files: list[DataFile],
    snapshot_properties: dict[str, str],
    target_file_bytes: int,
    run_id: str,
) -> UpsertOutcome:
    """Stage in `tx` the run's upserts and deletes under the version rule.

    Only files whose key range can hold one of the keys are read, and only their key and version
    columns; the stored rows replaced or deleted are removed by position delete files
    (`position_deletes`), so no stored row is rewritten.
    """
    key = list(change.key)
    rows, deleted = change.rows, change.deleted
    stale: list[pa.Table] = []
    if change.versioned:
        for rivals in (change.tombstones, deleted):
            if rivals is not None and rivals.num_rows and rows.num_rows:
                losing = _losers(rows, rivals, change)
                stale.append(losing)
                rows = rows.join(losing, keys=key, join_type="left anti")
    if deleted.num_rows and rows.num_rows:
        deleted = deleted.join(rows.select(key), keys=key, join_type="left anti")
    outcome = UpsertOutcome()
    metadata = tx.table_metadata
    probe = pa.concat_tables([rows.select(key), deleted.select(key)])
    with overwrite_with_deletes(tx, snapshot_properties) as overwrite:
        if probe.num_rows and table.current_snapshot() is not None:
            for task in table.scan(row_filter=key_range(probe)).plan_files():
                stored = live_rows(table.io, metadata, task, [*key, *change.versioned])
                removed, newer_keys = _removals(stored, rows, deleted, change, outcome)
                stale.append(newer_keys)
                if removed:
                    deletes = write_position_deletes(table.io, metadata, task.file, removed, run_id)
                    outcome.delete_files.append(deletes)
                    overwrite.append_data_file(deletes)
        stale_keys = pa.concat_tables(stale) if stale else None
        outcome.stale_rows = stale_keys.num_rows if stale_keys is not None else 0
        outcome.files = (
            _without_keys(tx, table, new_files, stale_keys, target_file_bytes, run_id)
            if outcome.stale_rows
            else new_files
        )
        for data_file in outcome.files:
            overwrite.append_data_file(data_file)
    return outcome


def _losers(rows: pa.Table, rivals: pa.Table, change: UpsertChange) -> pa.Table:
    """Keys of `rows` whose version is not newer than the rival's of the same key (a delete wins a tie)."""
    key, versioned = list(change.key), list(change.versioned)
    joined = _join(rows.select([*key, *versioned]), rivals, change)
    ours, theirs = _versions(joined, versioned)
    return joined.filter(pc.invert(is_newer(ours, theirs, joined.num_rows))).select(key)


def _removals(
    stored: pa.Table, rows: pa.Table, deleted: pa.Table, change: UpsertChange, outcome: UpsertOutcome
) -> tuple[list[int], pa.Table]:
    """The positions (`ROW_POSITION`) of stored rows this run removes, and the keys of incoming
    rows that are older than their stored row (stale). Counts into `outcome`."""
    key, versioned = list(change.key), list(change.versioned)
    probe = stored.select([*key, *versioned, ROW_POSITION])
    removed: list[int] = []
    newer_keys = rows.select(key).slice(0, 0)
    for rivals, is_delete in ((rows, False), (deleted, True)):
        if not rivals.num_rows:
            continue
        joined = _join(probe, rivals, change)
        ours, theirs = _versions(joined, versioned)
        survives = is_newer(ours, theirs, joined.num_rows)  # the stored row is newer than the incoming change
        gone = joined.filter(pc.invert(survives))
        removed.extend(gone.column(ROW_POSITION).to_pylist())
        if is_delete:
            outcome.deleted += gone.num_rows
            outcome.stale_deletes += joined.num_rows - gone.num_rows
        else:
            outcome.replaced += gone.num_rows
            newer_keys = joined.filter(survives).select(key)
    return removed, newer_keys


def _join(left: pa.Table, rivals: pa.Table, change: UpsertChange) -> pa.Table:
    """`left` inner-joined on the key with the rivals' version columns (renamed `_atlas_rival_*`).

    Only key and version columns take part: Arrow cannot carry list, struct or map columns
    through a join.
    """
    key, versioned = list(change.key), list(change.versioned)
    right = rivals.select([*key, *versioned])
    right = right.rename_columns([*key, *(f"{_RIVAL}_{v}" for v in versioned)])
    right = right.cast(pa.schema([left.schema.field(k) for k in key] + list(right.schema)[len(key) :]))
    return left.join(right, keys=key, join_type="inner")


def _versions(joined: pa.Table, versioned: Sequence[str]) -> tuple[list, list]:
    ours = [joined.column(v) for v in versioned]
    theirs = [joined.column(f"{_RIVAL}_{v}").cast(joined.schema.field(v).type) for v in versioned]
    return ours, theirs


def key_range(keys: pa.Table) -> BooleanExpression:
    """Prune by the first key column's min/max, which file statistics can answer."""
    first = keys.column(0)
    low, high = pc.min(first).as_py(), pc.max(first).as_py()
    if low is None:
        return AlwaysTrue()
    name = keys.column_names[0]
    if isinstance(low, int | float | str):
        return And(GreaterThanOrEqual(name, low), LessThanOrEqual(name, high))
    return AlwaysTrue()  # other key types: read every file, still correct


def _without_keys(
    tx: Transaction, table: Table, files: list[DataFile], keys: pa.Table, target_file_bytes: int, run_id: str
) -> list[DataFile]:
    """The run's new files rewritten without the rows of `keys`, streamed batch by batch.

    Only runs that met stale rows pay for this (re-runs of older partitions); the writer removes
    the originals, never committed, once the commit holds the rewritten ones.
    """
    schema = schema_to_pyarrow(tx.table_metadata.schema(), include_field_ids=False)
    filesystem, paths = arrow_paths(table.io, [f.file_path for f in files])
    batches = ds.dataset(paths, schema=schema, format="parquet", filesystem=filesystem).to_batches()
    kept = (b.filter(pc.invert(_holds_key(b, keys))) for b in batches if b.num_rows)
    return _rewrite(tx, table, kept, target_file_bytes, run_id)


def _holds_key(batch: pa.RecordBatch, keys: pa.Table) -> pa.BooleanArray:
    """True for rows of `batch` whose key is in `keys`.

    Only the key columns take part in the join: Arrow cannot carry list, struct or map columns
    through one.
    """
    positions = pa.array(range(batch.num_rows), pa.int64())
    probe = pa.Table.from_batches([batch.select(keys.column_names)]).append_column(ROW_POSITION, positions)
    matched = probe.join(
        keys.cast(probe.select(keys.column_names).schema), keys=keys.column_names, join_type="left semi"
    )
    return pc.is_in(positions, value_set=matched.column(ROW_POSITION).combine_chunks())


def discard_superseded(io: FileIO, written: list[DataFile], outcome: UpsertOutcome) -> None:
    """Remove the run's files that a committed upsert replaced by rewritten ones (never committed)."""
    committed = {f.file_path for f in outcome.files}
    for data_file in written:
        if data_file.file_path not in committed:
            with contextlib.suppress(Exception):  # an orphan left behind is harmless: nothing references it
                io.delete(data_file.file_path)


def _rewrite(
    tx: Transaction, table: Table, batches: Iterable[pa.RecordBatch], target_file_bytes: int, run_id: str
) -> list[DataFile]:
    writer = DataFileWriter(table.io, tx.table_metadata, target_file_bytes, run_id)
    for batch in batches:
        writer.write(batch.cast(writer.arrow_schema))
    return writer.close()
