"""A csv object's files as `FileVersion`s, and one file's cursor column as instants: what the
file-arrival sensor asks of `kind: csv` (`connectors/file_versions.py`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from atlas_assets.connectors.arrow import UTC_TIMESTAMP, cursor_instants, lenient_cast
from atlas_assets.connectors.contract import ExtractRequest
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.file_versions import FileVersion
from atlas_assets.connectors.files.parsing import (
    inspect_file,
    plan_read,
    read_file,
    typed_cursor,
)
from atlas_assets.connectors.instants import from_epoch_micros
from atlas_assets.connectors.window_bounds import CursorBoundError

if TYPE_CHECKING:  # csv.py imports this module
    from atlas_assets.connectors.files.csv import CsvObjectConfig


def list_versions(directory: Path, pattern: str) -> list[FileVersion]:
    """The files under `directory` matching `pattern`, ids relative to `directory` (no error when none)."""
    versions = []
    for path in sorted(directory.glob(pattern)):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue  # removed while listing
        if not path.is_file():
            continue
        modified = from_epoch_micros(stat.st_mtime_ns // 1_000)
        versions.append(FileVersion(path.relative_to(directory).as_posix(), stat.st_size, modified))
    return versions


def file_cursor_instants(path: Path, options: CsvObjectConfig, request: ExtractRequest) -> pa.Array:
    """The cursor column of one file as UTC timestamps, read alone (Arrow skips the other columns)."""
    cursor = options.cursor
    if cursor is None:
        raise PermanentSourceError("the object has no `cursor`, so its files place no rows in time")
    # Only the cursor is read: the narrowed options make the plan (and Arrow) include that column only.
    declared = {cursor: options.column_types[cursor]} if cursor in options.column_types else {}
    narrowed = options.model_copy(update={"columns": [cursor], "primary_key": [], "column_types": declared})
    if not path.is_file():
        return pa.array([], UTC_TIMESTAMP)
    file = inspect_file(path, narrowed, request)
    plan = None if file is None else plan_read(file, narrowed, request)
    if file is None or plan is None or plan.cursor_type is None:
        return pa.array([], UTC_TIMESTAMP)
    plan = replace(plan, null_marked=())
    chunks = []
    for batch in read_file(file, plan, narrowed, request):
        typed = typed_cursor(batch.column(0), plan.cursor_type, options.cursor_format)
        chunks.append(_as_utc(typed, options))
    return pa.concat_arrays(chunks) if chunks else pa.array([], UTC_TIMESTAMP)


def _as_utc(values: pa.Array, options: CsvObjectConfig) -> pa.Array:
    try:
        instants = cursor_instants(values, options.cursor_format)
    except CursorBoundError as exc:
        raise PermanentSourceError(f"cursor {options.cursor!r}: {exc}") from None
    if pa.types.is_timestamp(instants.type) or pa.types.is_date(instants.type):
        # naive timestamps hold UTC (as everywhere else); dates are their midnight UTC
        return lenient_cast(instants, UTC_TIMESTAMP)
    raise PermanentSourceError(
        f"cursor {options.cursor!r} ({instants.type}) holds no date or time, so its files cannot be "
        "placed in partitions; set `cursor_format` for epoch numbers"
    )
