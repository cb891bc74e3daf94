"""Streaming one csv object: its files in sorted order, one schema for all, the window's rows only.

The schema is settled by the first file that holds data: Arrow infers each column's type from
that file's first block, and every file is then read with exactly those types. A later file
may add columns (typed from its own first block; the table gains them in the same commit) or
lack some (null in its rows). Declared columns (`column_types`) and the cursor are read as text, so a
value that does not fit can never fail the read:

- declared columns are yielded as text; validation coerces them and quarantines misfits;
- an undeclared cursor is yielded in its inferred type, null where a value does not parse;
  rows whose cursor is null or unparseable are kept (validation sets them aside).

Nulls: an empty cell is null in every column (as DuckDB reads CSV). Typed columns, inferred
or declared, also read Arrow's null markers (`NULL`, `N/A`, `NaN`, ...) as null; text columns
keep them as text, since "NA" may well be a value there.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from atlas_assets.connectors.arrow import (
    UTC_TIMESTAMP,
    cursor_instants,
    cursor_mask,
    iceberg_compatible_type,
    lenient_cast,
    rebatch,
)
from atlas_assets.connectors.contract import ExtractRequest
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.files.sampling import looks_like_header, sample_file
from atlas_assets.connectors.type_names import parse_type_name
from atlas_assets.connectors.window_bounds import EPOCH_UNITS_PER_SECOND, CursorFormat

if TYPE_CHECKING:
    from atlas_assets.connectors.files.csv import CsvObjectConfig

# Arrow reads a block at a time: sized for about one batch of rows, within sane bounds (a
# block must also hold the longest row, hence the floor).
MIN_BLOCK_BYTES = 1 << 20
MAX_BLOCK_BYTES = 128 << 20

# What Arrow reads as null in typed columns; declared columns, read as text, get the same. Plain
# tuples: building an Arrow array at import would import pandas with every definitions load.
_NULL_MARKERS = tuple(pacsv.ConvertOptions().null_values)
_EMPTY = ("",)
_CONVERSION_ERROR = re.compile(
    r"In CSV column #(?P<index>\d+): (?:Row #\d+: )?CSV conversion error to (?P<type>[^:]+):"
)
_MAX_MESSAGE = 500


@dataclass(frozen=True)
class CsvFile:
    """One matched file: its column names and the read block sized for the request's batches."""

    path: Path
    names: list[str]
    has_header: bool
    block_size: int


@dataclass(frozen=True)
class ReadPlan:
    """How every file of the object is read, fixed by the first file that holds data."""

    file_columns: frozenset[str]
    columns: list[str]
    read_types: dict[str, pa.DataType]
    null_marked: tuple[str, ...]
    cursor: str | None
    cursor_type: pa.DataType | None
    cursor_declared: bool


def stream_object(
    directory: Path, pattern: str, options: CsvObjectConfig, request: ExtractRequest
) -> Iterator[pa.RecordBatch]:
    """The object's rows for `request`, file after file, in batches of at most `request.batch_size`."""
    plan: ReadPlan | None = None
    files = matching_files(directory, pattern)
    sizes = [path.stat().st_size for path in files]
    # Every matched file is read whole (the window selects rows, not files): their sizes are the
    # total the run's progress lines measure against.
    request.progress.total_bytes = sum(sizes)
    for index, path in enumerate(files):
        request.progress.bytes_read = sum(sizes[:index])
        file = inspect_file(path, options, request)
        if file is None:
            continue
        if plan is None:
            plan = plan_read(file, options, request)
            if plan is None:
                continue
        elif not options.columns and set(file.names) != plan.file_columns:
            plan = replan_for(file, plan, options, request)
        batches = (
            batch
            for batch in select_window(read_file(file, plan, options, request), plan, request)
            if batch.num_rows
        )
        yield from rebatch(batches, request.batch_size)
    request.progress.bytes_read = request.progress.total_bytes


def matching_files(directory: Path, pattern: str) -> list[Path]:
    """Files under `directory` matching `pattern`, sorted; at least one, or a permanent error."""
    files = sorted(path for path in directory.glob(pattern) if path.is_file())
    if not files:
        raise PermanentSourceError(f"no file in {directory} matches {pattern!r} (check the object's `glob`)")
    return files


def inspect_file(path: Path, options: CsvObjectConfig, request: ExtractRequest) -> CsvFile | None:
    """The file's header and block size, or None when it holds no rows at all."""
    try:
        sample = sample_file(path, options.delimiter)
    except OSError as exc:
        raise PermanentSourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    if sample.is_empty:
        return None
    first = sample.rows[0]
    has_header = looks_like_header(sample.rows) if options.header == "auto" else bool(options.header)
    names = first if has_header else [f"column_{i}" for i in range(1, len(first) + 1)]
    block_size = int(min(max(sample.bytes_per_row * request.batch_size, MIN_BLOCK_BYTES), MAX_BLOCK_BYTES))
    file = CsvFile(path=path, names=names, has_header=has_header, block_size=block_size)
    _check_header(file, options, request)
    return file


def _check_header(file: CsvFile, options: CsvObjectConfig, request: ExtractRequest) -> None:
    repeated = sorted({name for name in file.names if file.names.count(name) > 1})
    if repeated:
        raise PermanentSourceError(f"the header of {file.path} repeats {', '.join(map(repr, repeated))}")
    roles = [
        ("cursor column", [options.cursor] if options.cursor else []),
        ("primary key column", options.primary_key),
        ("column", options.columns or []),
        ("column in column_types", list(options.column_types)),
    ]
    for role, names in roles:
        for name in names:
            if name not in file.names:
                raise PermanentSourceError(
                    f"{role} {name!r} is not a column of {file.path} (its columns: {', '.join(file.names)})"
                )


def replan_for(file: CsvFile, plan: ReadPlan, options: CsvObjectConfig, request: ExtractRequest) -> ReadPlan:
    """The plan for a later file whose columns differ from the first file's.

    Shared columns keep the types already settled; columns the file adds get types inferred
    from its own first block (the table gains them in the run's commit); columns it lacks read
    as null.
    """
    own = plan_read(file, options, request)
    if own is None:
        return plan
    shared = {name: plan.read_types[name] for name in own.read_types if name in plan.read_types}
    return replace(own, read_types={**own.read_types, **shared}, cursor_type=plan.cursor_type)


def plan_read(file: CsvFile, options: CsvObjectConfig, request: ExtractRequest) -> ReadPlan | None:
    """Infer the column types from `file`'s first block; None when the file has no data rows."""
    try:
        declared = {name: parse_type_name(type_name) for name, type_name in options.column_types.items()}
    except ValueError as exc:
        raise PermanentSourceError(f"column_types: {exc}") from None
    columns = (
        list(
            dict.fromkeys(
                [*options.columns, *options.primary_key, *([options.cursor] if options.cursor else [])]
            )
        )
        if options.columns
        else list(file.names)
    )
    probe = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in declared}, include_columns=columns
    )
    with _read_errors(file, request), _open(file, options, probe) as (reader, _handle):
        first = next(iter(reader), None)
        inferred = reader.schema
    if first is None or first.num_rows == 0:
        return None
    read_types = {
        field.name: pa.string() if field.name in declared else iceberg_compatible_type(field.type)
        for field in inferred
    }
    cursor = options.cursor
    epoch = options.cursor_format in EPOCH_UNITS_PER_SECOND
    cursor_type = (
        (
            declared.get(cursor)
            or (UTC_TIMESTAMP if epoch else _cursor_type(read_types[cursor], first.column(cursor)))
        )
        if cursor
        else None
    )
    if cursor:
        read_types[cursor] = pa.string()  # parsed leniently per batch, so a bad value cannot fail the read
    return ReadPlan(
        file_columns=frozenset(file.names),
        columns=columns,
        read_types=read_types,
        null_marked=tuple(
            name for name, arrow_type in declared.items() if arrow_type != pa.string() and name in columns
        ),
        cursor=cursor,
        cursor_type=cursor_type,
        cursor_declared=cursor in declared,
    )


def _cursor_type(inferred: pa.DataType, sample: pa.Array) -> pa.DataType:
    """The undeclared cursor's type: Arrow's inference, unless that gave up and said text.

    Arrow falls back to text when the first rows mix formats (naive and zoned times) or hold a
    bad value; the cursor then becomes a UTC timestamp if any sampled value reads as one (else a
    number), so the bad values turn null and validation quarantines their rows.
    """
    if not (pa.types.is_string(inferred) and pa.types.is_string(sample.type)):
        return inferred
    for candidate in (UTC_TIMESTAMP, pa.int64(), pa.float64()):
        if lenient_cast(sample, candidate).null_count < len(sample):
            return candidate
    return inferred


def read_file(
    file: CsvFile, plan: ReadPlan, options: CsvObjectConfig, request: ExtractRequest
) -> Iterator[pa.RecordBatch]:
    """Every row of `file` in the plan's columns and types, one Arrow block at a time."""
    convert = pacsv.ConvertOptions(column_types=plan.read_types, include_columns=plan.columns)
    read_before = request.progress.bytes_read or 0
    with _read_errors(file, request), _open(file, options, convert) as (reader, handle):
        for batch in reader:
            # Where Arrow's reads have got to: about one block ahead of the rows yielded.
            request.progress.bytes_read = read_before + handle.tell()
            yield _with_nulls(batch, plan.null_marked)


def select_window(
    batches: Iterator[pa.RecordBatch], plan: ReadPlan, request: ExtractRequest
) -> Iterator[pa.RecordBatch]:
    """Keep rows whose cursor is in the request's window (and after its mark) or is null/unparseable."""
    cursor = plan.cursor
    filtering = request.window is not None or request.after is not None
    for batch in batches:
        if cursor is None or plan.cursor_type is None:
            yield batch
            continue
        index = batch.schema.get_field_index(cursor)
        typed = typed_cursor(batch.column(index), plan.cursor_type, request.config.cursor_format)
        if filtering:
            window = request.window
            try:
                mask = cursor_mask(
                    typed,
                    start=window.start if window else None,
                    end=window.end if window else None,
                    after=request.after,
                )
            except ValueError as exc:
                raise PermanentSourceError(f"cursor {cursor!r} ({plan.cursor_type}): {exc}") from None
            batch, typed = batch.filter(mask), typed.filter(mask)
        if not plan.cursor_declared:
            batch = batch.set_column(index, pa.field(cursor, plan.cursor_type), typed)
        yield batch


def typed_cursor(values: pa.Array, cursor_type: pa.DataType, cursor_format: CursorFormat | None) -> pa.Array:
    """The cursor's text in its type; epoch numbers (per `cursor_format`) as UTC timestamps."""
    if cursor_format in EPOCH_UNITS_PER_SECOND and pa.types.is_timestamp(cursor_type):
        return lenient_cast(cursor_instants(values, cursor_format), cursor_type)
    return lenient_cast(values, cursor_type)


@contextmanager
def _open(
    file: CsvFile, options: CsvObjectConfig, convert: pacsv.ConvertOptions
) -> Iterator[tuple[pacsv.CSVStreamingReader, BinaryIO]]:
    read = pacsv.ReadOptions(
        block_size=file.block_size,
        column_names=None if file.has_header else file.names,
        # Serial reading lets Arrow report the row number of a malformed row.
        use_threads=False,
    )
    parse = pacsv.ParseOptions(delimiter=options.delimiter, newlines_in_values=True)
    # A Python file object, not a path: given a path, Arrow reads ahead far beyond the current
    # block (its memory grew with the file's size); through a file object it holds about two.
    with (
        file.path.open("rb") as handle,
        pacsv.open_csv(handle, read_options=read, parse_options=parse, convert_options=convert) as reader,
    ):
        yield reader, handle


def _with_nulls(batch: pa.RecordBatch, null_marked: tuple[str, ...]) -> pa.RecordBatch:
    """Text columns' empty cells, and declared typed columns' null markers, become null."""
    for index, field in enumerate(batch.schema):
        if not pa.types.is_string(field.type):
            continue
        column = batch.column(index)
        nulls = pa.array(_NULL_MARKERS if field.name in null_marked else _EMPTY, type=pa.string())
        marked = pc.fill_null(pc.is_in(column, value_set=nulls), False)
        if not pc.any(marked).as_py():
            continue
        batch = batch.set_column(
            index, batch.schema.field(index), pc.if_else(marked, pa.scalar(None, pa.string()), column)
        )
    return batch


@contextmanager
def _read_errors(file: CsvFile, request: ExtractRequest) -> Iterator[None]:
    """Arrow and OS errors as `PermanentSourceError`s naming the object, the file and the row."""
    try:
        yield
    except pa.ArrowInvalid as exc:
        raise PermanentSourceError(_describe(exc, file, request)) from None
    except OSError as exc:
        raise PermanentSourceError(f"cannot read {file.path}: {exc.strerror or exc}") from None


def _describe(exc: pa.ArrowInvalid, file: CsvFile, request: ExtractRequest) -> str:
    message = str(exc).strip()
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + "…"
    conversion = _CONVERSION_ERROR.search(message)
    if conversion is None:
        return f"{file.path}: {message}"
    index = int(conversion.group("index"))
    name = file.names[index] if index < len(file.names) else f"#{index}"
    return (
        f"{file.path}: column {name!r} holds a value that is not {conversion.group('type')} "
        f"({message}); its type was inferred from the first rows of the object's first file: declare the "
        "column in `column_types` so that such values are quarantined instead"
    )


def text_csv_batches(data: bytes, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """CSV bytes with a header, every column as text, empty cells null, in batches of at most
    `batch_rows` (for CSV an API returns in pages, e.g. Salesforce Bulk 2.0 results)."""
    if not data.strip():
        return
    read = pacsv.ReadOptions(block_size=max(MIN_BLOCK_BYTES, min(len(data), MAX_BLOCK_BYTES)))
    names = next(csv.reader([data.split(b"\n", 1)[0].decode().rstrip("\r")]))
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True, null_values=list(_EMPTY)
    )
    parse = pacsv.ParseOptions(newlines_in_values=True)
    with pacsv.open_csv(
        pa.BufferReader(data), read_options=read, parse_options=parse, convert_options=convert
    ) as reader:
        yield from rebatch(reader, batch_rows)
