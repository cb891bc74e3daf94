"""Authentication of HTTP sources: bearer, API key (header or query), basic, OAuth2.

OAuth2 tokens (client-credentials or refresh-token grant) are cached per source, refreshed a
minute before they expire, and once more when the API answers 401 despite a fresh-looking token.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx

from atlas_assets.connectors.errors import PermanentSourceError, TransientSourceError

AuthType = Literal["none", "bearer", "api_key", "basic", "oauth2"]

# Refresh this long before the token's stated expiry, so no request carries an expiring token.
REFRESH_MARGIN_SECONDS = 60.0
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600.0


@dataclass(frozen=True)
class AuthSettings:
    """Resolved credentials of one source (values, never logged; `secrets()` lists them for scrubbing)."""

    type: AuthType = "none"
    token: str | None = None
    api_key: str | None = None
    key_name: str = "X-API-Key"
    key_in: Literal["header", "query"] = "header"
    username: str | None = None
    password: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    scope: str | None = None

    def secrets(self) -> list[str]:
        values = (self.token, self.api_key, self.password, self.client_secret, self.refresh_token)
        return [value for value in values if value]


class Authenticator:
    """Adds credentials to requests; `refresh()` renews an OAuth2 token (other kinds cannot renew)."""

    def __init__(self, settings: AuthSettings, post: Callable[..., httpx.Response]):
        self.settings = settings
        self._post = post
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.token_requests = 0

    @property
    def can_refresh(self) -> bool:
        return self.settings.type == "oauth2"

    def apply(self, headers: dict[str, str], params: dict[str, str]) -> None:
        """Put the credentials into a request's headers or query parameters."""
        settings = self.settings
        if settings.type == "bearer":
            headers["Authorization"] = f"Bearer {settings.token}"
        elif settings.type == "api_key":
            target = headers if settings.key_in == "header" else params
            target[settings.key_name] = settings.api_key or ""
        elif settings.type == "basic":
            pair = f"{settings.username or ''}:{settings.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        elif settings.type == "oauth2":
            headers["Authorization"] = f"Bearer {self._current_token()}"

    def refresh(self) -> None:
        """Forget the cached token, so the next request fetches a new one."""
        with self._lock:
            self._token = None

    def _current_token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at - REFRESH_MARGIN_SECONDS:
                self._token, lifetime = self._fetch_token()
                self._expires_at = time.monotonic() + lifetime
            return self._token

    def _fetch_token(self) -> tuple[str, float]:
        settings = self.settings
        form = {"grant_type": "refresh_token" if settings.refresh_token else "client_credentials"}
        if settings.refresh_token:
            form["refresh_token"] = settings.refresh_token
        if settings.scope:
            form["scope"] = settings.scope
        self.token_requests += 1
        try:
            response = self._post(
                settings.token_url,
                data=form,
                auth=(settings.client_id or "", settings.client_secret or ""),
            )
        except httpx.TransportError as exc:
            raise TransientSourceError(f"OAuth2 token request failed: {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientSourceError(f"OAuth2 token endpoint answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise PermanentSourceError(
                f"OAuth2 token endpoint {httpx.URL(settings.token_url or '').path} refused the credentials "
                f"(HTTP {response.status_code}): {response.text[:300]}"
            )
        try:
            body = response.json()
            token = str(body["access_token"])
        except (ValueError, KeyError, TypeError):
            raise PermanentSourceError("OAuth2 token endpoint's answer has no access_token") from None
        return token, float(body.get("expires_in") or DEFAULT_TOKEN_LIFETIME_SECONDS)
