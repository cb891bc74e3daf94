"""Config errors that name the place: dotted path, file and line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in runner.yaml: where it is and what was expected."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or "<root>"
        if self.line is not None:
            where = f"{where} (line {self.line})"
        return f"{where}: {self.message}"


class RunnerConfigError(ValueError):
    """runner.yaml is invalid; carries every problem found, not just the first."""

    def __init__(self, file: str, problems: list[ConfigProblem]):
        self.file = file
        self.problems = problems
        count = len(problems)
        header = f"{file}: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n  ".join([header, *map(str, problems)]))
