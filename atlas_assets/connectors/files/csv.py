"""`kind: csv` — local CSV files matched by glob, streamed into Arrow batches."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import Annotated, ClassVar, Literal

import pyarrow as pa
from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator

from atlas_assets.config.errors import FieldError
from atlas_assets.config.location import generated_by_demo
from atlas_assets.config.objects import (
    ObjectConfig,
    ObjectName,
    SourceConfigBase,
    WriteMode,
    _objects_shorthand,
)
from atlas_assets.connectors.contract import ExtractRequest, SourceConnector
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.file_versions import FileVersion
from atlas_assets.connectors.files.parsing import stream_object
from atlas_assets.connectors.files.versions import file_cursor_instants, list_versions


class CsvObjectConfig(ObjectConfig):
    """An object of a csv source: the files its glob matches, read in sorted order.

    Columns named in `column_types` are extracted as text; validation coerces them to the
    declared type and quarantines values that do not fit. Other columns get the types Arrow
    infers from the first rows of the first file.
    """

    glob: str | None = Field(
        default=None,
        description="Files of this object, relative to the source's path; `<object name>*.csv` by default.",
    )
    header: bool | Literal["auto"] = Field(
        default="auto", description="Whether the first row names the columns; `auto` tells from its content."
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1)

    @field_validator("glob")
    @classmethod
    def _relative_glob(cls, value: str | None) -> str | None:
        if value is not None and PurePath(value).is_absolute():
            raise ValueError("glob must be relative to the source's `path`; put the directory in `path`")
        return value

    kind_name: ClassVar[str] = "csv"
    """The source kind errors name (file kinds that parse as csv objects say their own)."""

    @model_validator(mode="after")
    def _csv_fits(self) -> CsvObjectConfig:
        self.reject_sql_selection(
            f"{self.kind_name} objects select files with `glob`, not `table` or `query`"
        )
        if self.write_mode is WriteMode.UPSERT:
            # Upserts keep the first row per key, so they need rows newest first: a file
            # cannot be streamed in that order without being held in memory whole.
            raise FieldError(
                "write",
                f"write mode 'upsert' is not supported for {self.kind_name} sources; "
                "use partition_overwrite or snapshot",
            )
        return self

    def file_glob(self, object_name: str) -> str:
        """The object's glob, or its default `<object name>*.csv`."""
        return self.glob or f"{object_name}*.csv"


class CsvSourceConfig(SourceConfigBase):
    """`kind: csv` — a directory of CSV files; each object is the set of files its glob matches."""

    kind: Literal["csv"]
    lists_files: ClassVar[bool] = True
    path: str = Field(
        description="Directory of the files; a relative path resolves against the working directory."
    )
    objects: Annotated[dict[ObjectName, CsvObjectConfig], BeforeValidator(_objects_shorthand)] = Field(
        min_length=1
    )

    def build_resource(self) -> CsvResource:
        return CsvResource(path=self.path)

    def reference_problems(self) -> list[FieldError]:
        directory = Path(self.path).expanduser()
        # The demo's own directory exists once `python -m atlas_assets.demo` has generated it: the
        # shipped runner.yaml must validate before that, so only its runs need it.
        if directory.is_dir() or generated_by_demo(directory):
            return []
        where = "is not a directory" if directory.exists() else "does not exist"
        relative = "" if directory.is_absolute() else f" (relative to the working directory {Path.cwd()})"
        return [FieldError("path", f"directory {directory.absolute()} {where}{relative}")]


class CsvResource(SourceConnector):
    """Streams each object's CSV files from one local directory, batch by batch; lists them for the
    file-arrival sensor (`connectors.file_versions.ListsFiles`)."""

    path: str

    def directory(self) -> Path:
        """The absolute directory; resolved on use, so it follows the process's working directory."""
        return Path(self.path).expanduser().resolve()

    def dataset_namespace(self) -> str:
        return self.directory().as_uri()

    def check_connection(self) -> None:
        check_directory(self.directory())

    def extract(self, request: ExtractRequest) -> Iterator[pa.RecordBatch]:
        options = csv_options(request)
        directory = self.directory()
        check_directory(directory)
        yield from stream_object(directory, options.file_glob(request.object_name), options, request)

    def list_files(self, request: ExtractRequest) -> list[FileVersion]:
        directory = self.directory()
        check_directory(directory)
        return list_versions(directory, csv_options(request).file_glob(request.object_name))

    def cursor_instants(self, request: ExtractRequest, file: FileVersion) -> pa.Array:
        return file_cursor_instants(self.directory() / file.id, csv_options(request), request)


def check_directory(directory: Path) -> None:
    """Raise `PermanentSourceError` unless `directory` exists and can be listed."""
    if not directory.is_dir():
        hint = (
            "run `python -m atlas_assets.demo` to generate it"
            if generated_by_demo(directory)
            else ("check the source's `path`")
        )
        raise PermanentSourceError(f"directory {directory} does not exist ({hint})")
    try:
        with os.scandir(directory) as entries:
            next(entries, None)
    except OSError as exc:
        raise PermanentSourceError(f"directory {directory} cannot be read: {exc.strerror}") from None


def csv_options(request: ExtractRequest) -> CsvObjectConfig:
    """The request's object config as a `CsvObjectConfig` (a plain `ObjectConfig` gets csv defaults)."""
    if isinstance(request.config, CsvObjectConfig):
        return request.config
    try:
        return CsvObjectConfig.model_validate(request.config.model_dump(exclude_unset=True))
    except ValidationError as exc:
        problems = "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        raise PermanentSourceError(f"{problems}") from None
