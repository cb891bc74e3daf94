"""A run's data files under a schema that grows while it streams: later batches may add columns.

A source's schema is only known once it has been read: an HTTP page or a later CSV file can
bring a column (or a wider type) that the first batch lacked. The schema change is staged in
the run's own transaction, so it commits together with the data; files already written keep
their schema, which Iceberg reads through field ids (added columns read as null there).
"""

from __future__ import annotations

import contextlib

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.manifest import DataFile
from pyiceberg.table import Transaction

from atlas_assets.iceberg.conform import conform
from atlas_assets.iceberg.data_files import DataFileWriter, arrow_paths
from atlas_assets.iceberg.schema_evolution import apply_schema_changes, plan_schema_changes


class EvolvingFileWriter:
    """Writes batches whose columns may differ from batch to batch into the table of `tx`."""

    def __init__(
        self, tx: Transaction, target_file_bytes: int, label: str, committed_columns: set[str], run_id: str
    ):
        self._tx = tx
        self._target = target_file_bytes
        self._label = label
        self._committed = committed_columns
        self._run_id = run_id
        self._writer = DataFileWriter(tx._table.io, tx.table_metadata, target_file_bytes, run_id)
        self._files: list[DataFile] = []
        self._columns: set[str] = set(self._writer.arrow_schema.names)
        self._fitted: pa.Schema | None = None  # the last batch schema known to fit the table
        self.changes: list[str] = []

    @property
    def arrow_schema(self) -> pa.Schema:
        """The table's schema as it stands now, with Iceberg field ids."""
        return self._writer.arrow_schema

    def write(self, batch: pa.RecordBatch) -> None:
        """Write `batch`, first evolving the staged schema if it brings new columns or wider types."""
        if self._fitted is None or not batch.schema.equals(self._fitted):
            self._evolve(batch.schema)
            self._fitted = batch.schema
        self._writer.write(conform(batch, self._writer.arrow_schema, self._label))

    def close(self) -> list[DataFile]:
        """Finish the open file; every `DataFile` of the run, ready to commit."""
        return [*self._files, *self._writer.close()]

    def abort(self) -> None:
        """Best-effort removal of every file written, for a run that will not commit."""
        self._writer.abort()
        for data_file in self._files:
            with contextlib.suppress(Exception):  # orphans are harmless: nothing references them
                self._tx._table.io.delete(data_file.file_path)

    def _evolve(self, incoming: pa.Schema) -> None:
        retypable = self._columns - self._committed
        changes = plan_schema_changes(self._tx.table_metadata.schema(), incoming, self._label, retypable)
        if changes:
            self._files.extend(self._writer.close())
            apply_schema_changes(self._tx, changes)
            self._writer = DataFileWriter(
                self._tx._table.io, self._tx.table_metadata, self._target, self._run_id
            )
            self.changes.extend(changes.describe())
            if changes.retyped:
                self._rewrite()
            self._columns.update(incoming.names)

    def _rewrite(self) -> None:
        """Rewrite the run's own files under the new column types (rare: once per retyped column)."""
        old, self._files = self._files, []
        io = self._tx._table.io
        if old:
            filesystem, paths = arrow_paths(io, [f.file_path for f in old])
            for path in paths:
                with filesystem.open_input_file(path) as handle:
                    for batch in pq.ParquetFile(handle).iter_batches():
                        self._writer.write(conform(batch, self._writer.arrow_schema, self._label))
            for data_file in old:
                io.delete(data_file.file_path)
