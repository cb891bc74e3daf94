"""Request-level retries on tenacity, from an object's `retry` settings.

A transient failure (429, 5xx, timeout, dropped connection) retries *that request*; the pages
already fetched stay fetched, so a 429 on page 9,000 never restarts the extraction.

Connectors on a vendor SDK (Stripe, HubSpot) switch the SDK's own retries off (they ignore
`Retry-After` and would multiply with ours) and go through `call_sdk_with_retries`, which
classifies the SDK's exceptions by an `ErrorPolicy` and uses the same loop.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.errors import PermanentSourceError, TransientSourceError, redact

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


def call_with_retries(
    call: Callable[[], T], retry: RetryConfig, on_wait: Callable[[float], None] | None = None
) -> T:
    """`call()`, retried on `TransientSourceError` up to `retry.max_retries` times.

    The pause honours the error's `retry_after_seconds` (a server's `Retry-After`) when given,
    else the backoff; `on_wait(seconds)` is told of each pause. The last transient error
    propagates, for the run's retry policy to take.
    """

    def wait(state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        after = getattr(error, "retry_after_seconds", None)
        seconds = (
            min(after, MAX_RETRY_AFTER_SECONDS)
            if after is not None
            else backoff_seconds(retry, state.attempt_number)
        )
        if on_wait is not None:
            on_wait(seconds)
        return seconds

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(retry.max_retries + 1),
        wait=wait,
        retry=tenacity.retry_if_exception_type(TransientSourceError),
        reraise=True,
    )
    return retrying(call)


def wait_counter(stats: dict[str, int | str]) -> Callable[[float], None]:
    """An `on_wait` that counts each pause and its seconds into an extraction's `stats`
    (`rate_limit_waits`, `rate_limit_wait_seconds`: the materialization's metadata)."""
    stats.setdefault("rate_limit_waits", 0)
    stats.setdefault("rate_limit_wait_seconds", 0)

    def waited(seconds: float) -> None:
        stats["rate_limit_waits"] = int(stats["rate_limit_waits"]) + 1
        stats["rate_limit_wait_seconds"] = round(float(stats["rate_limit_wait_seconds"]) + seconds, 3)

    return waited


@dataclass(frozen=True)
class ErrorPolicy:
    """How one SDK's errors read: which it raises, which are transient, their `Retry-After`
    and a message in the vendor's words (its message and request/correlation id)."""

    errors: tuple[type[BaseException], ...]
    is_transient: Callable[[BaseException], bool]
    retry_after: Callable[[BaseException], float | None]
    describe: Callable[[BaseException], str]


def call_sdk_with_retries(
    call: Callable[[], T],
    retry: RetryConfig,
    policy: ErrorPolicy,
    on_wait: Callable[[float], None],
    secrets: Iterable[str],
) -> T:
    """`call()` (one SDK request), retried per `retry` on the errors `policy` calls transient.

    Every failure becomes a `PermanentSourceError` carrying the vendor's message with `secrets`
    redacted: a request that exhausted `retry.max_retries` is not retried again by the run.
    """

    def attempt() -> T:
        try:
            return call()
        except policy.errors as exc:
            message = redact(policy.describe(exc), secrets)
            if policy.is_transient(exc):
                raise TransientSourceError(message, policy.retry_after(exc)) from None
            raise PermanentSourceError(message) from None

    try:
        return call_with_retries(attempt, retry, on_wait)
    except TransientSourceError as exc:
        raise PermanentSourceError(
            f"{exc}; still failing after {retry.max_retries} request retries "
            "(retry.max_retries), so the run is not retried on top"
        ) from None


def retry_after_header(headers: object) -> float | None:
    """Seconds from a `Retry-After` header (case-insensitive mapping), if it holds a number."""
    get = getattr(headers, "get", None)
    value = (get("Retry-After") or get("retry-after")) if get else None
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None
