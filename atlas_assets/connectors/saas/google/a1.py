"""A1 notation: column letters, cell names and the ranges a worksheet is read in."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"^(?P<c0>[A-Z]+)?(?P<r0>[1-9]\d*)?(?::(?P<c1>[A-Z]+)?(?P<r1>[1-9]\d*)?)?$")


def column_letters(index: int) -> str:
    """The letters of 1-based column `index` (1 → A, 27 → AA)."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """The 1-based index of column `letters` (A → 1, AA → 27)."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index


def cell_name(column: int, row: int) -> str:
    """A cell's A1 name, e.g. `C3`."""
    return f"{column_letters(column)}{row}"


@dataclass(frozen=True)
class Cells:
    """A closed rectangle of a worksheet, 1-based and inclusive."""

    first_column: int
    first_row: int
    last_column: int
    last_row: int


@dataclass(frozen=True)
class GridRange:
    """A rectangle of a worksheet, 1-based and inclusive; None where the range leaves it open."""

    first_column: int | None = None
    first_row: int | None = None
    last_column: int | None = None
    last_row: int | None = None

    @classmethod
    def parse(cls, text: str) -> GridRange:
        """`A1:F200`, `B3:H`, `A:F`, `C5`; raises `ValueError` naming the accepted forms."""
        match = _RANGE.match(text.strip().upper())
        if not match or not text.strip():
            raise ValueError(f"{text!r} is not an A1 range such as 'A1:F200', 'B3:H' or 'A:F'")
        c0, r0, c1, r1 = match.group("c0", "r0", "c1", "r1")
        one_cell = ":" not in text
        grid = cls(
            column_index(c0) if c0 else None,
            int(r0) if r0 else None,
            column_index(c1) if c1 else (column_index(c0) if one_cell and c0 else None),
            int(r1) if r1 else (int(r0) if one_cell and r0 else None),
        )
        if grid.first_column and grid.last_column and grid.first_column > grid.last_column:
            raise ValueError(f"{text!r} ends at a column before it starts")
        if grid.first_row and grid.last_row and grid.first_row > grid.last_row:
            raise ValueError(f"{text!r} ends at a row before it starts")
        return grid

    def within(self, rows: int, columns: int) -> Cells:
        """This range with its open sides closed by a worksheet of `rows` × `columns` cells."""
        return Cells(
            self.first_column or 1,
            self.first_row or 1,
            min(self.last_column or columns, columns),
            min(self.last_row or rows, rows),
        )


def sheet_range(title: str, first_column: int, first_row: int, last_column: int, last_row: int) -> str:
    """`'Title'!B3:H1000`; the title quoted, its quotes doubled, as the Sheets API reads it."""
    quoted = "'" + title.replace("'", "''") + "'"
    return f"{quoted}!{cell_name(first_column, first_row)}:{cell_name(last_column, last_row)}"
