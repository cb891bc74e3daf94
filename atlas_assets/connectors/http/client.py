"""One pooled HTTP client per source: auth, rate limit, request-level retries, classified errors."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.errors import PermanentSourceError, TransientSourceError, redact
from atlas_assets.connectors.http.auth import Authenticator, AuthSettings
from atlas_assets.connectors.http.rate_limit import RateLimiter
from atlas_assets.connectors.http.retries import call_with_retries

_MAX_ERROR_TEXT = 500


@dataclass
class RequestCounts:
    """What the client sent, for tests and run metadata: successes, retried failures, token fetches."""

    succeeded: int = 0
    failed: int = 0


class HttpSession:
    """An `httpx.Client` (connection pool) shared by every object of one source.

    `get` sends one request through the rate limiter with credentials, retries transient
    failures per the object's `retry` settings, renews an OAuth2 token once on 401, and
    raises `PermanentSourceError` for 4xx answers, naming the request path (never its query,
    which may hold an API key) and the server's error text, with secrets scrubbed.
    `rate_limit_file` shares the rate limit with the run's other processes (see `rate_limit`).
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: AuthSettings,
        headers: Mapping[str, str] | None = None,
        timeout_seconds: float = 30.0,
        requests_per_second: float | None = None,
        rate_limit_file: Path | None = None,
    ):
        self._client = httpx.Client(
            base_url=base_url,
            headers=dict(headers or {}),
            timeout=timeout_seconds,
            follow_redirects=True,
        )
        self._secrets = auth.secrets()
        self.auth = Authenticator(auth, self._client.post)
        self.limiter = RateLimiter(requests_per_second, rate_limit_file)
        self.counts = RequestCounts()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, params: Mapping[str, Any], retry: RetryConfig) -> httpx.Response:
        """GET `url` (a path under the base URL, or absolute) with `params`; a 2xx response.

        Error messages name the request, not the object: the caller's failure adds its label.
        """
        return call_with_retries(lambda: self._send(url, params), retry)

    def _send(self, url: str, params: Mapping[str, Any]) -> httpx.Response:
        response = self._attempt(url, params)
        if response.status_code == 401 and self.auth.can_refresh:
            self.auth.refresh()  # the token may have been revoked early: one fresh try
            response = self._attempt(url, params)
        status = response.status_code
        if status < 400:
            self.counts.succeeded += 1
            return response
        self.counts.failed += 1
        where = f"GET {response.request.url.path}"
        text = self.scrub(response.text[:_MAX_ERROR_TEXT].strip())
        if status == 429 or status >= 500:
            raise TransientSourceError(
                f"{where}: HTTP {status} {text}".rstrip(), retry_after_seconds=_retry_after(response)
            )
        hint = (
            " (credentials refused, even after a token refresh)"
            if status == 401 and self.auth.can_refresh
            else ""
        )
        raise PermanentSourceError(f"{where}: HTTP {status}{hint}: {text or response.reason_phrase}")

    def _attempt(self, url: str, params: Mapping[str, Any]) -> httpx.Response:
        headers: dict[str, str] = {}
        query = {k: str(v) for k, v in params.items()}
        try:
            self.auth.apply(headers, query)
        except (TransientSourceError, PermanentSourceError) as exc:
            exc.args = (self.scrub(str(exc)),)
            raise
        self.limiter.acquire()
        try:
            return self._client.get(url, params=query, headers=headers)
        except httpx.TimeoutException:
            self.counts.failed += 1
            raise TransientSourceError(f"GET {httpx.URL(url).path}: timed out") from None
        except httpx.TransportError as exc:
            self.counts.failed += 1
            raise TransientSourceError(
                f"GET {httpx.URL(url).path}: {type(exc).__name__}: {self.scrub(str(exc))}"
            ) from None

    def scrub(self, text: str) -> str:
        return redact(text, self._secrets)


def _retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds, given as a number or as an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
