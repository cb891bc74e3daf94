"""Streaming Arrow batches into a table's Parquet data files, rolling at a target size."""

from __future__ import annotations

import contextlib
import re
import uuid
from types import TracebackType

import pyarrow as pa
import pyarrow.fs as pafs
from pyiceberg.io import FileIO
from pyiceberg.io.fileformat import FileFormatFactory, FileFormatWriter
from pyiceberg.io.pyarrow import PyArrowFileIO, schema_to_pyarrow
from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
from pyiceberg.table.locations import load_location_provider
from pyiceberg.table.metadata import TableMetadata
from pyiceberg.typedef import Record

# `<run id>_<write id>-<n>.parquet`: a Dagster run id is a UUID, the write id 32 hex digits.
_FILE_NAME = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_[0-9a-f]{32}-")


def data_file_name(run_id: str, write_id: str, number: int, extension: str) -> str:
    """The name of a run's `number`th data file of one write: it says which run wrote it."""
    return f"{run_id}_{write_id}-{number:05d}.{extension}"


def writing_run(path: str) -> str | None:
    """The id of the run that wrote the data file at `path`, or None for files named otherwise."""
    match = _FILE_NAME.match(path.rsplit("/", 1)[-1])
    return match.group(1) if match else None


class DataFileWriter:
    """Writes conformed batches into Parquet files of one table and returns them as `DataFile`s.

    Nothing here touches table metadata: files only become visible when a commit adds them,
    so an interrupted run leaves unreferenced files behind, never a changed table. File names
    start with `run_id`, so a later run can tell whose they are (`orphan_files`).
    """

    def __init__(self, io: FileIO, metadata: TableMetadata, target_file_bytes: int, run_id: str):
        self._io = io
        self._metadata = metadata
        self._schema = metadata.schema()
        self.arrow_schema: pa.Schema = schema_to_pyarrow(self._schema, include_field_ids=True)
        self._format = FileFormatFactory.get(FileFormat.PARQUET)
        self._locations = load_location_provider(metadata.location, metadata.properties)
        self._target = target_file_bytes
        self._run_id = run_id
        self._write_id = uuid.uuid4().hex
        self._open: tuple[str, FileFormatWriter] | None = None
        self._open_bytes = 0
        self.files: list[DataFile] = []
        self.paths: list[str] = []

    def write(self, batch: pa.RecordBatch) -> None:
        """Append a batch whose schema is exactly `arrow_schema`."""
        if batch.num_rows == 0:
            return
        if self._open is None:
            self._start_file()
        assert self._open is not None
        self._open[1].write(pa.Table.from_batches([batch], schema=self.arrow_schema))
        self._open_bytes += batch.nbytes
        if self._open_bytes >= self._target:
            self._finish_file()

    def close(self) -> list[DataFile]:
        """Finish the open file; the `DataFile`s written so far, ready to commit."""
        if self._open is not None:
            self._finish_file()
        return self.files

    def abort(self) -> None:
        """Best-effort removal of every file written, for a run that will not commit."""
        if self._open is not None:
            with contextlib.suppress(Exception):  # the file is deleted next; its error is irrelevant
                self._open[1].close()
            self._open = None
        for path in self.paths:
            with contextlib.suppress(Exception):  # orphans are harmless: nothing references them
                self._io.delete(path)

    def __enter__(self) -> DataFileWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.abort()

    def _start_file(self) -> None:
        name = data_file_name(self._run_id, self._write_id, len(self.paths), self._format.file_extension())
        path = self._locations.new_data_location(data_file_name=name)
        self.paths.append(path)
        output = self._io.new_output(path)
        self._open = (path, self._format.create_writer(output, self._schema, self._metadata.properties))
        self._open_bytes = 0

    def _finish_file(self) -> None:
        assert self._open is not None
        path, writer = self._open
        self._open = None
        statistics = writer.close()
        data_file = DataFile.from_args(
            content=DataFileContent.DATA,
            file_path=path,
            file_format=FileFormat.PARQUET,
            partition=Record(),
            file_size_in_bytes=len(self._io.new_input(path)),
            sort_order_id=None,
            spec_id=self._metadata.default_spec_id,
            equality_ids=None,
            key_metadata=None,
            **statistics.to_serialized_dict(),
        )
        # from_args does not keep the spec id, which scanning the file back needs.
        data_file.spec_id = self._metadata.default_spec_id
        self.files.append(data_file)


def arrow_paths(io: FileIO, locations: list[str]) -> tuple[pafs.FileSystem, list[str]]:
    """A pyarrow filesystem for the table's FileIO (credentials included) and the files' paths on it."""
    if isinstance(io, PyArrowFileIO):
        paths, filesystem = [], None
        for location in locations:
            scheme, netloc, path = PyArrowFileIO.parse_location(location, io.properties)
            filesystem = io.fs_by_scheme(scheme, netloc)
            paths.append(path)
        assert filesystem is not None
        return filesystem, paths
    filesystem, _ = pafs.FileSystem.from_uri(locations[0])
    return filesystem, [pafs.FileSystem.from_uri(location)[1] for location in locations]
