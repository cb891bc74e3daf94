"""Reading one worksheet as rows: find it, find its header, type its cells, read it in row chunks.

Values come as `UNFORMATTED_VALUE` (numbers, booleans, text as typed; dates as serial numbers);
the number formats of the first data rows tell which columns hold dates, datetimes or times,
converted in the spreadsheet's timezone (`serials`). The Sheets API leaves trailing blank cells
and rows out of an answer; blank rows between data are kept as rows of nulls, blank rows after
the last data row are dropped, however many chunks they span.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.saas.google.a1 import Cells, GridRange, cell_name, sheet_range
from atlas_assets.connectors.saas.google.api import GoogleApi
from atlas_assets.connectors.saas.google.header import column_names, is_blank
from atlas_assets.connectors.saas.google.serials import DATE_FORMATS, from_serial

FORMAT_ROWS = 50
"""Data rows whose number formats decide which columns hold dates (the first format seen wins)."""
_SPREADSHEET_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")


def spreadsheet_id(text: str) -> str:
    """The id of a spreadsheet given by id or by its URL (`…/spreadsheets/d/<id>/edit#gid=0`)."""
    match = _SPREADSHEET_URL.search(text)
    return match.group(1) if match else text.strip()


@dataclass(frozen=True)
class WorksheetRead:
    """What to read: a worksheet (title or gid) of a spreadsheet, and how its header is found."""

    spreadsheet: str
    worksheet: str | int | None
    range: str | None
    header_row: int | None
    dedupe_headers: bool
    chunk_rows: int


@dataclass(frozen=True)
class Located:
    spreadsheet_id: str
    title: str
    grid: Cells
    zone: ZoneInfo


def locate(api: GoogleApi, read: WorksheetRead) -> Located:
    """The worksheet's title, its cells to read (the range closed by its grid size) and timezone."""
    sid = spreadsheet_id(read.spreadsheet)
    meta = api.spreadsheet(sid)
    sheets = [s.get("properties", {}) for s in meta.get("sheets", [])]
    if read.worksheet is None:
        found = sheets[:1]
    elif isinstance(read.worksheet, int):
        found = [p for p in sheets if p.get("sheetId") == read.worksheet]
    else:
        found = [p for p in sheets if p.get("title") == read.worksheet]
    if not found:
        titles = ", ".join(f"{p.get('title')!r} (gid {p.get('sheetId')})" for p in sheets)
        raise PermanentSourceError(
            f"spreadsheet {sid} has no worksheet {read.worksheet!r}; its worksheets: {titles or 'none'}"
        )
    props = found[0]
    size = props.get("gridProperties") or {}
    grid = GridRange.parse(read.range) if read.range else GridRange()
    zone_name = (meta.get("properties") or {}).get("timeZone") or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PermanentSourceError(f"spreadsheet {sid} has an unknown timeZone {zone_name!r}") from None
    closed = grid.within(int(size.get("rowCount", 1000)), int(size.get("columnCount", 26)))
    return Located(sid, str(props.get("title")), closed, zone)


def worksheet_rows(
    api: GoogleApi, read: WorksheetRead, stats: dict[str, int | str]
) -> Iterator[dict[str, Any]]:
    """The worksheet's data rows as `{column name: value}`, read `chunk_rows` rows per request."""
    where = locate(api, read)
    grid = where.grid
    stats["worksheet"] = where.title
    stats.setdefault("chunks", 0)

    def chunks(start: int) -> Iterator[tuple[int, list[Any]]]:
        for first in range(start, grid.last_row + 1, read.chunk_rows):
            last = min(first + read.chunk_rows - 1, grid.last_row)
            a1 = sheet_range(where.title, grid.first_column, first, grid.last_column, last)
            values = api.values(where.spreadsheet_id, a1)
            stats["chunks"] = int(stats["chunks"]) + 1
            for offset, row in enumerate(values):
                yield first + offset, row

    cells = chunks(grid.first_row)
    header_at, header = _header(cells, read, grid.first_row)
    names = column_names(header, header_at, grid.first_column, read.dedupe_headers)
    formats = _column_formats(api, where, header_at, len(names))
    pending_blanks = 0
    for row_number, row in cells:
        if all(is_blank(v) for v in row):
            pending_blanks += 1  # emitted only if a row with data follows: trailing blanks are trimmed
            continue
        for extra in range(len(names), len(row)):
            if not is_blank(row[extra]):
                raise PermanentSourceError(
                    f"cell {cell_name(grid.first_column + extra, row_number)} of worksheet {where.title!r} "
                    f"holds a value, but its column has no header in row {header_at} (name the column, or "
                    "narrow the object's `range`)"
                )
        for _ in range(pending_blanks):
            yield dict.fromkeys(names)
        pending_blanks = 0
        yield {
            name: None if is_blank(value) else from_serial(value, formats[i], where.zone)
            for i, (name, value) in enumerate(zip(names, _padded(row, len(names)), strict=True))
        }


def _header(
    cells: Iterator[tuple[int, list[Any]]], read: WorksheetRead, first_row: int
) -> tuple[int, list[Any]]:
    """The header row's number and cells: row `header_row`, or (`auto`) the first non-blank one."""
    if read.header_row is not None and read.header_row < first_row:
        raise PermanentSourceError(
            f"header_row {read.header_row} is above the object's range (it starts at row {first_row})"
        )
    for row_number, row in cells:
        if read.header_row is not None:
            if row_number == read.header_row:
                return row_number, row
        elif any(not is_blank(v) for v in row):
            return row_number, row
    raise PermanentSourceError(
        "the worksheet holds no header row"
        if read.header_row is None
        else f"header row {read.header_row} is empty or outside the worksheet"
    )


def _column_formats(api: GoogleApi, where: Located, header_at: int, width: int) -> list[str | None]:
    """Each column's date format (DATE, DATE_TIME, TIME) from the first data rows, else None."""
    grid = where.grid
    if header_at >= grid.last_row:
        return [None] * width
    a1 = sheet_range(
        where.title,
        grid.first_column,
        header_at + 1,
        grid.first_column + width - 1,
        min(header_at + FORMAT_ROWS, grid.last_row),
    )
    found: list[str | None] = [None] * width
    for row in api.number_formats(where.spreadsheet_id, a1):
        for i, kind in enumerate(row[:width]):
            if found[i] is None and kind:
                found[i] = kind
    return [kind if kind in DATE_FORMATS else None for kind in found]


def _padded(row: list[Any], width: int) -> list[Any]:
    return row[:width] + [None] * (width - len(row))
