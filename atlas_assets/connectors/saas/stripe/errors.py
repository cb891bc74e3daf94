"""Stripe errors classified, and the one request-level retry loop every Stripe call goes through.

The SDK's own network retries are switched off (`max_network_retries=0`): they ignore
`Retry-After` and would multiply with ours. Instead each request is retried here, on tenacity,
as often as the object's `retry.max_retries` allows, waiting `Retry-After` when Stripe sends it
and the policy's delay/backoff otherwise. When a request still fails after that, the run fails
without a Dagster retry on top: the policy's budget was spent on that request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import stripe
import tenacity

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.errors import PermanentSourceError, redact

T = TypeVar("T")

# Stripe's 429 `lock_timeout` (another request holds the object) clears like a rate limit.
_TRANSIENT = (stripe.RateLimitError, stripe.APIConnectionError, stripe.APIError)


def is_transient(exc: BaseException) -> bool:
    """Throttling, lock timeouts, connection failures and 5xx; never auth, permission or bad requests."""
    if isinstance(exc, stripe.StripeError) and exc.code == "lock_timeout":
        return True
    return isinstance(exc, _TRANSIENT) and not (
        isinstance(exc, stripe.APIError) and exc.http_status is not None and exc.http_status < 500
    )


def describe(exc: stripe.StripeError) -> str:
    """Stripe's own message, its error type/code, HTTP status and request id."""
    body = exc.json_body.get("error", {}) if isinstance(exc.json_body, dict) else {}
    kind = body.get("type") or type(exc).__name__
    code = f"/{exc.code}" if exc.code else ""
    status = f"HTTP {exc.http_status} " if exc.http_status else ""
    request = f" (request {exc.request_id})" if exc.request_id else ""
    return f"Stripe {status}{kind}{code}: {exc.user_message or exc._message}{request}"


def call_with_retries(
    call: Callable[[], T], retry: RetryConfig, on_wait: Callable[[float], None], secrets: Iterable[str]
) -> T:
    """`call()`, retried per `retry` on transient errors; `on_wait(seconds)` before each wait.

    Failures become `PermanentSourceError`s carrying Stripe's message with `secrets` redacted.
    """

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        seconds = _retry_after(exc) if exc is not None else None
        if seconds is None:
            seconds = _policy_delay(retry, state.attempt_number)
        on_wait(seconds)
        return seconds

    try:
        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(retry.max_retries + 1),
            retry=tenacity.retry_if_exception(is_transient),
            wait=wait,
            reraise=True,
        )(call)
    except stripe.StripeError as exc:
        if is_transient(exc):
            message = (
                f"{describe(exc)}; still failing after {retry.max_retries} request retries "
                "(retry.max_retries), so the run is not retried on top"
            )
        else:
            message = describe(exc)
        raise PermanentSourceError(redact(message, secrets)) from None


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(exc, "headers", None) or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _policy_delay(retry: RetryConfig, attempt: int) -> float:
    if retry.backoff == "exponential":
        return retry.delay_seconds * 2 ** (attempt - 1)
    if retry.backoff == "linear":
        return retry.delay_seconds * attempt
    return retry.delay_seconds
