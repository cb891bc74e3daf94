"""Request-level retries on tenacity, from an object's `retry` settings.

A transient failure (429, 5xx, timeout, dropped connection) retries *that request*; the pages
already fetched stay fetched, so a 429 on page 9,000 never restarts the extraction.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

import tenacity

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.errors import TransientSourceError

T = TypeVar("T")

# A server may ask for a long pause; beyond this the run's own retry policy is the better judge.
MAX_RETRY_AFTER_SECONDS = 600.0


def backoff_seconds(retry: RetryConfig, attempt: int) -> float:
    """The pause before retry number `attempt` (1-based): linear, exponential or constant, with jitter."""
    base = retry.delay_seconds
    if retry.backoff == "exponential":
        base *= 2 ** (attempt - 1)
    elif retry.backoff == "linear":
        base *= attempt
    if retry.jitter == "full":
        return random.uniform(0, base)
    if retry.jitter == "plus_minus":
        return max(0.0, base + random.uniform(-retry.delay_seconds, retry.delay_seconds))
    return base


def call_with_retries(call: Callable[[], T], retry: RetryConfig) -> T:
    """`call()`, retried on `TransientSourceError` up to `retry.max_retries` times.

    The pause honours the error's `retry_after_seconds` (a server's `Retry-After`) when given,
    else the backoff. The last transient error propagates, for the run's retry policy to take.
    """

    def wait(state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        after = getattr(error, "retry_after_seconds", None)
        if after is not None:
            return min(after, MAX_RETRY_AFTER_SECONDS)
        return backoff_seconds(retry, state.attempt_number)

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(retry.max_retries + 1),
        wait=wait,
        retry=tenacity.retry_if_exception_type(TransientSourceError),
        reraise=True,
    )
    return retrying(call)
