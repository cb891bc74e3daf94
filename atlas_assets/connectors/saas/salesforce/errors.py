"""Salesforce errors classified for the shared request retry loop (`connectors/http/retries.py`).

simple-salesforce raises `SalesforceError` subclasses carrying the HTTP status and Salesforce's
error body (`[{"message", "errorCode", "fields"}]`). Transient: `REQUEST_LIMIT_EXCEEDED` (a 403
once the org's daily API budget or concurrent-request limit is spent), 429, 5xx (503 while an
instance is busy or in maintenance) and connection failures. Every other error, failed logins
(`INVALID_LOGIN`, `invalid_grant`), `INVALID_FIELD`, `INVALID_TYPE` and `MALFORMED_QUERY`
among them, is permanent. `INVALID_SESSION_ID` is handled before this: see `SalesforceApi`.
"""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

from atlas_assets.connectors.http.retries import ErrorPolicy

TRANSIENT_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"})
_CONNECTION_ERRORS = (requests.ConnectionError, requests.Timeout)


def first_error(exc: BaseException) -> dict[str, Any]:
    """The first entry of Salesforce's error body, or {} when the body is not one."""
    content = getattr(exc, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0]
    if isinstance(content, dict):
        return content
    return {}


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, SalesforceAuthenticationFailed):
        return str(exc.code) if exc.code is not None else None
    code = first_error(exc).get("errorCode") or first_error(exc).get("error")
    return str(code) if code else None


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, _CONNECTION_ERRORS):
        return True
    if isinstance(exc, SalesforceAuthenticationFailed):
        # A login answered by an overloaded server (no Salesforce error code) carries its status.
        code = exc.code
        return code in TRANSIENT_CODES or (isinstance(code, int) and (code == 429 or code >= 500))
    status = getattr(exc, "status", None) or 0
    return error_code(exc) in TRANSIENT_CODES or status == 429 or status >= 500


def salesforce_errors(sobject: str | None) -> ErrorPolicy:
    """How simple-salesforce's errors read, for requests about `sobject` (None: the login)."""

    def describe(exc: BaseException) -> str:
        about = f"Salesforce {sobject}" if sobject else "Salesforce"
        if isinstance(exc, SalesforceAuthenticationFailed):
            return f"{about}: login failed: {exc.code}: {exc.auth_message}"
        if isinstance(exc, _CONNECTION_ERRORS):
            return f"{about}: {type(exc).__name__}: {exc}"
        error = first_error(exc)
        status = getattr(exc, "status", None)
        prefix = f"{about}: HTTP {status} " if status else f"{about}: "
        code = error_code(exc) or type(exc).__name__
        message = error.get("message") or error.get("error_description") or getattr(exc, "content", exc)
        fields = f" (fields: {', '.join(error['fields'])})" if error.get("fields") else ""
        return f"{prefix}{code}: {message}{fields}"

    return ErrorPolicy(
        errors=(SalesforceError, *_CONNECTION_ERRORS),
        is_transient=is_transient,
        retry_after=lambda exc: None,  # the SDK's errors keep no headers; the backoff applies
        describe=describe,
    )
