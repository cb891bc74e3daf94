"""Config errors that name the place: dotted path, file and line."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import TracebackType


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in runner.yaml: where it is and what was expected."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        # One physical line per problem, line number first, so a sorted report scans top to bottom.
        message = " ".join(self.message.splitlines())
        parts = [f"line {self.line}" if self.line is not None else "", self.path, message]
        return ": ".join(part for part in parts if part)


class FieldError(ValueError):
    """A model validator's error about one field of the model it checks.

    Pydantic places errors from `model_validator`s at the model itself; raising this instead of
    `ValueError` lets the loader name the field (`...objects.orders.cursor`) and its line. `field`
    may be dotted to reach into a section (`privacy.secret`).
    """

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _sort_key(problem: ConfigProblem) -> tuple[int, int]:
    # Problems about the whole file (no line) come first, then in file order.
    return (0, 0) if problem.line is None else (1, problem.line)


class RunnerConfigError(ValueError):
    """runner.yaml is invalid; carries every problem found, not just the first, sorted by line."""

    def __init__(self, file: str, problems: list[ConfigProblem]):
        self.file = file
        self.problems = sorted(problems, key=_sort_key)
        count = len(self.problems)
        header = f"{file}: {count} problem{'s' if count != 1 else ''} in the runner config"
        super().__init__("\n  ".join([header, *map(str, self.problems)]))


def show_alone_if_uncaught(error: RunnerConfigError) -> None:
    """If `error` ends the process uncaught, print only its problems, not the traceback.

    `dagster asset materialize` and friends import the code location at the top of a deep call
    chain, so Python's default report buries the problems under ~70 lines of frames. Processes
    that catch the error (Dagster's code servers, `dagster definitions validate`) are unaffected.
    """
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if value is error:
            print(f"{error}\n(the code location could not load; fix the problems above)", file=sys.stderr)
        else:
            previous(kind, value, tb)

    sys.excepthook = hook
