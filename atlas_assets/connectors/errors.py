"""Source errors, classified: transient ones are retried by policy, permanent ones fail at once."""

from __future__ import annotations

from collections.abc import Iterable


class SourceError(Exception):
    """A source failed. `transient` says whether retrying the same request can succeed."""

    transient: bool = True


class TransientSourceError(SourceError):
    """Timeouts, dropped connections, throttling (429), 5xx: retried per the retry policy."""

    transient = True

    def __init__(self, message: str, retry_after_seconds: float | None = None):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class PermanentSourceError(SourceError):
    """Bad credentials, missing table or column, bad config: retrying cannot help."""

    transient = False


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret value found in `text` with '***'."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    return text
