"""Google API errors classified for the shared request retry loop (`connectors/http/retries.py`).

gspread raises `APIError` with Google's error body `{"error": {code, message, status, errors}}`;
google-auth raises `RefreshError` when the token endpoint refuses (`invalid_grant`: an unknown
service account, a revoked key; permanent) and `TransportError` when it cannot be reached.
429 (`RESOURCE_EXHAUSTED`, quota) and 5xx are transient, so are dropped connections.
"""

from __future__ import annotations

import requests
from google.auth import exceptions as auth_exceptions
from gspread.exceptions import APIError

from atlas_assets.connectors.http.retries import ErrorPolicy, retry_after_header

CONNECTION_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,  # a download cut short mid-body
    auth_exceptions.TransportError,
)
ERRORS = (APIError, auth_exceptions.RefreshError, *CONNECTION_ERRORS)


def status_of(exc: BaseException) -> int | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, int) and code > 0 else None


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, CONNECTION_ERRORS):
        return True
    if isinstance(exc, auth_exceptions.RefreshError):
        return bool(getattr(exc, "retryable", False))
    status = status_of(exc)
    return status is None or status == 429 or status >= 500


def describe(exc: BaseException) -> str:
    """Google's own words: `Google API HTTP 429 RESOURCE_EXHAUSTED: Quota exceeded …`."""
    if isinstance(exc, APIError):
        error = exc.error if isinstance(exc.error, dict) else {}
        status = f"HTTP {status_of(exc)} " if status_of(exc) else ""
        return f"Google API {status}{error.get('status') or 'error'}: {error.get('message') or exc}"
    if isinstance(exc, auth_exceptions.RefreshError):
        return f"Google OAuth token request refused: {exc.args[0] if exc.args else exc}"
    return f"Google API unreachable: {type(exc).__name__}: {exc}"


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    return retry_after_header(getattr(response, "headers", None) or {})


GOOGLE_ERRORS = ErrorPolicy(
    errors=ERRORS, is_transient=is_transient, retry_after=_retry_after, describe=describe
)
