"""A CSV file's first rows: enough to tell whether it has a header and how long its rows are."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

SAMPLE_BYTES = 64 * 1024
SAMPLE_ROWS = 20

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_BOOLEAN = frozenset({"true", "false"})


@dataclass(frozen=True)
class FileSample:
    """The first rows of a file (parsed, blank lines skipped) and its average row length."""

    rows: list[list[str]]
    bytes_per_row: float

    @property
    def is_empty(self) -> bool:
        return not self.rows


def sample_file(path: Path, delimiter: str) -> FileSample:
    """Read at most `SAMPLE_BYTES` of `path`; raises `OSError` when it cannot be read."""
    with path.open("rb") as file:
        head = file.read(SAMPLE_BYTES)
        at_end = not file.read(1)
    if not at_end:
        # The last line may be cut short: parse whole lines only.
        head = head[: head.rfind(b"\n") + 1] or head
    text = head.decode("utf-8-sig", errors="replace")
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if row:
                rows.append(row)
            if len(rows) == SAMPLE_ROWS:
                break
    except csv.Error:
        pass  # a quoted field longer than the sample: keep the rows parsed so far
    lines = max(head.count(b"\n") + (0 if head.endswith(b"\n") else 1), 1)
    return FileSample(rows=rows, bytes_per_row=len(head) / lines)


def looks_like_header(rows: list[list[str]]) -> bool:
    """Whether the first row names the columns rather than holding data.

    Column names are text: a first row with a cell that looks like a value (a number, a date
    or time, a boolean) or with a repeated name is data. Otherwise it is a header, which also
    settles the ambiguous case of a file whose every cell is text: text-only files without a
    header are rare, and `header: false` states them.
    """
    if not rows:
        return False
    names = [cell.strip() for cell in rows[0] if cell.strip()]
    return len(set(names)) == len(names) and not any(_is_value(cell) for cell in names)


def _is_value(cell: str) -> bool:
    text = cell.strip()
    if _NUMBER.match(text) or text.lower() in _BOOLEAN:
        return True
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
