"""Merge-on-read for upserts: stored rows a change replaces are marked deleted, never rewritten.

An upsert of a few keys into a big table would otherwise rewrite every data file holding one of
them, which for keys spread over the table is all of it. Instead each touched data file gets one
Iceberg position delete file (`file_path`, `pos` of the rows it removes), committed in the same
snapshot as the run's new rows. pyiceberg applies position deletes on every scan (so DuckDB over
its Arrow, downstream assets and checks see only live rows), and so does pyiceberg's own
copy-on-write `delete` and our compaction when they rewrite a file. Each delete file names exactly
one data file (its `file_path` bounds are equal), so a scan reads only the deletes of the files it
reads, and the deletes of a file that was since rewritten are never read again.

pyiceberg 0.12 reads position deletes but does not write them: the file is written here, and
`overwrite_with_deletes` puts delete files into a delete manifest of their own, as the spec asks.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from pyiceberg.expressions import AlwaysTrue
from pyiceberg.io import FileIO
from pyiceberg.io.fileformat import FileFormatFactory
from pyiceberg.io.pyarrow import ArrowScan, schema_to_pyarrow
from pyiceberg.manifest import (
    DataFile,
    DataFileContent,
    FileFormat,
    ManifestContent,
    ManifestEntry,
    ManifestEntryStatus,
    ManifestFile,
    ManifestWriterV2,
)
from pyiceberg.schema import Schema
from pyiceberg.table import FileScanTask, Transaction
from pyiceberg.table.locations import load_location_provider
from pyiceberg.table.metadata import TableMetadata
from pyiceberg.table.snapshots import Operation
from pyiceberg.table.update.snapshot import _OverwriteFiles
from pyiceberg.typedef import Record
from pyiceberg.types import LongType, NestedField, StringType

from atlas_assets.iceberg.data_files import arrow_paths, data_file_name

ROW_POSITION = "_atlas_row"
"""The column `live_rows` adds: each row's position in its data file."""

# The spec's reserved field ids of a position delete file (pyiceberg's own schema types `pos` int).
_DELETE_SCHEMA = Schema(
    NestedField(2147483546, "file_path", StringType(), required=True),
    NestedField(2147483545, "pos", LongType(), required=True),
)
# Full, untruncated bounds: equal `file_path` bounds tell readers which one data file this is for.
_DELETE_FILE_PROPERTIES = {"write.metadata.metrics.default": "full"}


def live_rows(io: FileIO, metadata: TableMetadata, task: FileScanTask, columns: Sequence[str]) -> pa.Table:
    """`columns` of the rows of the task's data file that its delete files leave, with each row's
    position in the file (`ROW_POSITION`), which a new position delete refers to."""
    scan = ArrowScan(metadata, io, metadata.schema().select(*columns), AlwaysTrue())
    rows = scan.to_table([FileScanTask(task.file)])  # without its deletes: positions are the file's
    positions = pa.array(range(rows.num_rows), pa.int64())
    rows = rows.append_column(ROW_POSITION, positions)
    deleted = _deleted_positions(io, task)
    if deleted is None:
        return rows
    return rows.filter(pc.invert(pc.is_in(positions, value_set=deleted)))


def _deleted_positions(io: FileIO, task: FileScanTask) -> pa.Array | None:
    deletes = [f for f in task.delete_files if f.content == DataFileContent.POSITION_DELETES]
    if not deletes:
        return None
    filesystem, paths = arrow_paths(io, [f.file_path for f in deletes])
    dataset = ds.dataset(paths, format="parquet", filesystem=filesystem)
    found = dataset.to_table(columns=["pos"], filter=pc.field("file_path") == task.file.file_path)
    return found.column("pos").combine_chunks().cast(pa.int64())


def write_position_deletes(
    io: FileIO, metadata: TableMetadata, data_file: DataFile, positions: Sequence[int], run_id: str
) -> DataFile:
    """A position delete file removing `positions` of `data_file`, ready to commit."""
    arrow_schema = schema_to_pyarrow(_DELETE_SCHEMA, include_field_ids=True)
    paths = pa.array([data_file.file_path] * len(positions), pa.string())
    rows = pa.table([paths, pa.array(sorted(positions), pa.int64())], schema=arrow_schema)
    parquet = FileFormatFactory.get(FileFormat.PARQUET)
    name = data_file_name(run_id, uuid.uuid4().hex, 0, f"deletes.{parquet.file_extension()}")
    path = load_location_provider(metadata.location, metadata.properties).new_data_location(name)
    writer = parquet.create_writer(io.new_output(path), _DELETE_SCHEMA, _DELETE_FILE_PROPERTIES)
    writer.write(rows)
    statistics = writer.close()
    delete_file = DataFile.from_args(
        content=DataFileContent.POSITION_DELETES,
        file_path=path,
        file_format=FileFormat.PARQUET,
        partition=data_file.partition or Record(),
        file_size_in_bytes=len(io.new_input(path)),
        sort_order_id=None,
        equality_ids=None,
        key_metadata=None,
        **statistics.to_serialized_dict(),
    )
    # from_args does not keep the spec id; the delete applies within its data file's spec.
    delete_file.spec_id = data_file.spec_id
    return delete_file


class _DeleteManifestWriter(ManifestWriterV2):
    """A v2 manifest of delete files (pyiceberg's writer only writes data manifests)."""

    def content(self) -> ManifestContent:
        return ManifestContent.DELETES

    @property
    def _meta(self) -> dict[str, str]:
        return {**super()._meta, "content": "deletes"}


class OverwriteWithDeletes(_OverwriteFiles):
    """pyiceberg's overwrite snapshot that also commits position delete files added with
    `append_data_file`: data files go to its data manifest, delete files to a delete manifest."""

    def _manifests(self) -> list[ManifestFile]:
        added = self._added_data_files
        deletes = [f for f in added if f.content != DataFileContent.DATA]
        if not deletes:
            return super()._manifests()
        # The summary (computed after this) still counts every added file, delete files included.
        self._added_data_files = [f for f in added if f.content == DataFileContent.DATA]
        try:
            manifests = super()._manifests()
        finally:
            self._added_data_files = added
        return [*manifests, self._delete_manifest(deletes)]

    def _delete_manifest(self, deletes: list[DataFile]) -> ManifestFile:
        metadata = self._transaction.table_metadata
        writer = _DeleteManifestWriter(
            metadata.spec(), self.schema(), self.new_manifest_output(), self._snapshot_id, self._compression
        )
        with writer:
            for delete_file in deletes:
                writer.add(
                    ManifestEntry.from_args(
                        status=ManifestEntryStatus.ADDED,
                        snapshot_id=self._snapshot_id,
                        sequence_number=None,
                        file_sequence_number=None,
                        data_file=delete_file,
                    )
                )
        return writer.to_manifest_file()


def overwrite_with_deletes(tx: Transaction, snapshot_properties: dict[str, str]) -> OverwriteWithDeletes:
    """An overwrite of `tx`'s table (its main branch) that can also add position delete files."""
    operation = Operation.OVERWRITE if tx.table_metadata.current_snapshot() is not None else Operation.APPEND
    return OverwriteWithDeletes(
        operation=operation, transaction=tx, io=tx._table.io, snapshot_properties=snapshot_properties
    )
