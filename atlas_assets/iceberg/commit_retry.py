"""Retrying optimistic-concurrency commits that lost a race with another writer.

Every Iceberg commit of the platform (a partition write, its quarantine slots, a GDPR erasure,
table maintenance) goes through `with_commit_retries`, one tenacity policy for all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
import tenacity
from pyiceberg.exceptions import CommitFailedException, ValidationException

T = TypeVar("T")

COMMIT_ATTEMPTS = 8
# Full jitter: writers that collided once must not collide again in lock step.
_WAIT = tenacity.wait_random_exponential(multiplier=0.2, max=5.0)


class CommitConflictError(RuntimeError):
    """Every commit attempt lost to a concurrent writer; the run may be retried as a whole."""


def is_commit_conflict(exc: BaseException) -> bool:
    """Whether `exc` means another writer committed first (so a re-planned attempt may succeed)."""
    # ValidationException: pyiceberg found that a concurrent commit touched the rows we replace.
    if isinstance(exc, CommitFailedException | ValidationException):
        return True
    # The SQLite catalog reports a concurrent writer as a locked database.
    return isinstance(exc, sa.exc.OperationalError) and "locked" in str(exc).lower()


def with_commit_retries(attempt: Callable[[], T], what: str, attempts: int = COMMIT_ATTEMPTS) -> T:
    """Run `attempt` (which must rebuild its transaction from a fresh table) until it commits.

    The whole change is re-planned on the table as it now is, so a rewritten window or key set
    accounts for what the concurrent writer committed; the last commit wins, never both. After
    `attempts` conflicts, `CommitConflictError` names `what`; any other error propagates at once.
    """

    def give_up(state: tenacity.RetryCallState) -> T:
        error = state.outcome.exception() if state.outcome else None
        raise CommitConflictError(f"{what}: gave up after {attempts} conflicting commits: {error}") from error

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=_WAIT,
        retry=tenacity.retry_if_exception(is_commit_conflict),
        retry_error_callback=give_up,
    )
    return retrying(attempt)
