"""HubSpot errors classified for the shared request retry loop (`connectors/http/retries.py`).

The SDK's generated packages each define their own `ApiException`; the ones the connector calls
are listed here. 429 and 5xx are transient; every other status (401, 403, 400, 404) permanent.
"""

from __future__ import annotations

import json

from hubspot.crm.associations.v4 import ApiException as AssociationsApiException
from hubspot.crm.objects import ApiException as ObjectsApiException
from hubspot.crm.properties import ApiException as PropertiesApiException
from hubspot.oauth import ApiException as OAuthApiException

from atlas_assets.connectors.http.retries import ErrorPolicy, retry_after_header

API_ERRORS = (ObjectsApiException, PropertiesApiException, OAuthApiException, AssociationsApiException)


def status_of(exc: BaseException) -> int | None:
    return getattr(exc, "status", None)


def is_transient(exc: BaseException) -> bool:
    """Rate limits (429), HubSpot's 5xx and connection failures (no HTTP status)."""
    status = status_of(exc)
    return isinstance(exc, API_ERRORS) and (status is None or status == 429 or status >= 500)


def describe(exc: BaseException) -> str:
    """HubSpot's own message, its category, HTTP status and correlation id."""
    try:
        body = json.loads(getattr(exc, "body", None) or "{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    status = f"HTTP {status_of(exc)} " if status_of(exc) else ""
    category = body.get("category") or body.get("status") or type(exc).__name__
    message = body.get("message") or getattr(exc, "reason", None) or str(exc)
    correlation = f" (correlationId {body['correlationId']})" if body.get("correlationId") else ""
    return f"HubSpot {status}{category}: {message}{correlation}"


HUBSPOT_ERRORS = ErrorPolicy(
    errors=API_ERRORS,
    is_transient=is_transient,
    retry_after=lambda exc: retry_after_header(getattr(exc, "headers", None) or {}),
    describe=describe,
)
