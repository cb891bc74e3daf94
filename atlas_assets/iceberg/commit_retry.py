"""Retrying optimistic-concurrency commits that lost a race with another writer."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from pyiceberg.exceptions import CommitFailedException, ValidationException

T = TypeVar("T")

COMMIT_ATTEMPTS = 8


class CommitConflictError(RuntimeError):
    """Every commit attempt lost to a concurrent writer; the run may be retried as a whole."""


def _is_conflict(exc: BaseException) -> bool:
    # ValidationException: pyiceberg found that a concurrent commit touched the rows we replace.
    if isinstance(exc, CommitFailedException | ValidationException):
        return True
    # The SQLite catalog reports a concurrent writer as a locked database.
    return isinstance(exc, sa.exc.OperationalError) and "locked" in str(exc).lower()


def with_commit_retries(attempt: Callable[[], T], what: str, attempts: int = COMMIT_ATTEMPTS) -> T:
    """Run `attempt` (which must rebuild its transaction from a fresh table) until it commits.

    The whole change is re-planned on the table as it now is, so a rewritten window or key set
    accounts for what the concurrent writer committed; the last commit wins, never both.
    """
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except Exception as exc:
            if not _is_conflict(exc):
                raise
            if number == attempts:
                message = f"{what}: gave up after {attempts} conflicting commits: {exc}"
                raise CommitConflictError(message) from exc
            time.sleep(min(5.0, 0.1 * 2**number) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")
