"""Writing demo files all-or-nothing, so a reader never sees a half-written file."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path


def replace_file(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write` on a fresh temporary path beside `path`, then move the result over `path`."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A UTF-8 CSV with a header row and `\\n` line ends, replacing `path` atomically."""

    def write(target: Path) -> None:
        with target.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    replace_file(path, write)
