"""A worksheet's header row: its column names, or an error naming the cells that cannot be names."""

from __future__ import annotations

from typing import Any

from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.saas.google.a1 import cell_name, column_letters


def is_blank(value: Any) -> bool:
    return value is None or value == ""


def cell_text(value: Any) -> str:
    """A header cell as a name: `2026`, not `2026.0`, for a number typed into the header."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if not is_blank(value) else ""


def column_names(cells: list[Any], row: int, first_column: int, dedupe: bool) -> list[str]:
    """The names of the header row `row` (its cells from `first_column` on), trailing blanks trimmed.

    A blank cell among them (a merged header reads as its first cell, then blanks) or a repeated
    name fails naming the cells, unless `dedupe`: a blank becomes `column_<letter>`, the second
    `amount` becomes `amount_2`, and so on.
    """
    names = [cell_text(value) for value in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise PermanentSourceError(f"the header row {row} is empty")
    blank = [cell_name(first_column + i, row) for i, name in enumerate(names) if not name]
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name:
            seen.setdefault(name, []).append(i)
    repeated = {name: at for name, at in seen.items() if len(at) > 1}
    if not dedupe and (blank or repeated):
        problems = []
        if blank:
            problems.append(f"blank header cells {', '.join(blank)}")
        for name, at in repeated.items():
            cells_at = " and ".join(cell_name(first_column + i, row) for i in at)
            problems.append(f"{name!r} repeated in {cells_at}")
        raise PermanentSourceError(
            f"the header row {row} cannot name every column: {'; '.join(problems)} (name them in the "
            "sheet, choose another `header_row`, or set `dedupe_headers: true`)"
        )
    taken = set(seen)
    unique: list[str] = []
    counts: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            name = _free(f"column_{column_letters(first_column + i)}", taken)
        elif name in repeated:
            counts[name] = counts.get(name, 0) + 1
            if counts[name] > 1:
                name = _free(f"{name}_{counts[name]}", taken)
        taken.add(name)
        unique.append(name)
    return unique


def _free(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate
