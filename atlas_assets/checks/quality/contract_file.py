"""Reading a hand-written Soda contract file: its checks, where each is, and what is wrong with it.

This is a structural read with PyYAML (fast, line-numbered, no Soda import), enough to name every
check at definitions load. Soda's own parser judges the content in `quality_soda.validate_contract`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from atlas_assets.config.yaml_source import parse_yaml

# Keys Atlas sets itself in the contract it runs; a contract file's value for them is ignored.
ATLAS_OWNED_KEYS = frozenset({"dataset"})


@dataclass(frozen=True)
class FileProblem:
    """One problem in a contract file, at a 1-based line when known."""

    line: int | None
    message: str


@dataclass(frozen=True)
class FileCheck:
    """One check as written in the contract file."""

    kind: str
    column: str | None
    body: dict[str, Any]
    line: int | None

    @property
    def qualifier(self) -> str | None:
        value = self.body.get("qualifier")
        return None if value is None else str(value)


@dataclass(frozen=True)
class ContractFile:
    """A contract file's checks, its column entries and its other top-level keys."""

    path: Path
    text: str
    checks: tuple[FileCheck, ...] = ()
    column_entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    top_level: dict[str, Any] = field(default_factory=dict)
    problems: tuple[FileProblem, ...] = ()


def read_contract_file(path: Path) -> ContractFile:
    """Parse `path`, once per version of the file (edits are picked up, repeats are free)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        message = "does not exist (a relative contract_file is relative to runner.yaml's directory)"
        return ContractFile(path, "", problems=(FileProblem(None, message),))
    except OSError as exc:
        return ContractFile(path, "", problems=(FileProblem(None, f"cannot be read: {exc.strerror or exc}"),))
    return _read_cached(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1024)
def _read_cached(path: str, mtime_ns: int, size: int) -> ContractFile:
    del mtime_ns, size  # part of the cache key only
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return ContractFile(Path(path), "", problems=(FileProblem(None, f"cannot be read: {exc}"),))
    return parse_contract_text(text, Path(path))


def parse_contract_text(text: str, path: Path) -> ContractFile:
    """The structure of a contract given as text; problems instead of exceptions."""
    doc = parse_yaml(text, os.fspath(path))
    problems = [FileProblem(p.line, p.message) for p in doc.problems]
    if problems:
        return ContractFile(path, text, problems=tuple(problems))
    if not isinstance(doc.data, dict):
        found = "nothing" if doc.data is None else type(doc.data).__name__
        return ContractFile(
            path, text, problems=(FileProblem(1, f"must be a mapping of keys, found {found}"),)
        )

    data: dict[str, Any] = doc.data
    checks: list[FileCheck] = []
    column_entries: dict[str, dict[str, Any]] = {}
    checks.extend(_read_checks(data.get("checks"), None, ("checks",), doc.line_of, problems))

    columns = data.get("columns")
    if columns is not None and not isinstance(columns, list):
        problems.append(FileProblem(doc.line_of(("columns",)), "'columns' must be a list of column entries"))
    for index, entry in enumerate(columns if isinstance(columns, list) else []):
        where = ("columns", index)
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            problems.append(FileProblem(doc.line_of(where), "each column entry needs a 'name'"))
            continue
        name = entry["name"]
        if name in column_entries:
            problems.append(FileProblem(doc.line_of(where), f"column {name!r} is listed twice"))
            continue
        column_entries[name] = {k: v for k, v in entry.items() if k not in ("name", "checks")}
        checks.extend(_read_checks(entry.get("checks"), name, (*where, "checks"), doc.line_of, problems))

    top_level = {k: v for k, v in data.items() if k not in ("checks", "columns", *ATLAS_OWNED_KEYS)}
    # In the order they are written, so Dagster lists them as the file reads.
    checks.sort(key=lambda check: check.line or 0)
    return ContractFile(path, text, tuple(checks), column_entries, top_level, tuple(problems))


def _read_checks(
    value: Any, column: str | None, where: tuple[str | int, ...], line_of: Any, problems: list[FileProblem]
) -> list[FileCheck]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(FileProblem(line_of(where), "'checks' must be a list"))
        return []
    found: list[FileCheck] = []
    for index, item in enumerate(value):
        line = line_of((*where, index))
        if isinstance(item, str):
            problems.append(FileProblem(line, f"write '- {item}:' with a colon; a check is a mapping"))
        elif not isinstance(item, dict) or len(item) != 1:
            problems.append(FileProblem(line, "each check is a mapping with exactly one key, its type"))
        else:
            ((kind, body),) = item.items()
            if body is not None and not isinstance(body, dict):
                problems.append(FileProblem(line, f"the body of check '{kind}' must be a mapping"))
                continue
            found.append(FileCheck(str(kind), column, dict(body or {}), line))
    return found
