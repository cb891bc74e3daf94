"""Stripe errors classified for the shared request retry loop (`connectors/http/retries.py`).

The SDK's own network retries are switched off (`max_network_retries=0`): they ignore
`Retry-After` and would multiply with ours.
"""

from __future__ import annotations

import stripe

from atlas_assets.connectors.http.retries import ErrorPolicy, retry_after_header

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


STRIPE_ERRORS = ErrorPolicy(
    errors=(stripe.StripeError,),
    is_transient=is_transient,
    retry_after=lambda exc: retry_after_header(getattr(exc, "headers", None) or {}),
    describe=lambda exc: describe(exc) if isinstance(exc, stripe.StripeError) else str(exc),
)
"""Stripe's errors for the shared request retry loop (`connectors/http/retries.py`)."""
