"""Classifying database errors as transient (retry) or permanent (fail now)."""

from __future__ import annotations

import sqlalchemy as sa

from atlas_assets.connectors.errors import PermanentSourceError, SourceError, TransientSourceError

# Substrings of driver messages (PostgreSQL, MySQL/MariaDB, SQLite) that retrying cannot fix.
_PERMANENT_MARKERS = (
    "password authentication failed",
    "access denied",
    "no such table",
    "no such column",
    "does not exist",
    "doesn't exist",
    "unknown column",
    "unknown database",
    "permission denied",
    "syntax error",
    "role \"",
    "no pg_hba.conf entry",
)

# Substrings that mean the connection or server failed, not the request.
_TRANSIENT_MARKERS = (
    "could not connect",
    "connection refused",
    "server closed the connection",
    "terminating connection",
    "lost connection",
    "gone away",
    "timeout",
    "timed out",
    "statement timeout",
    "canceling statement",
    "deadlock",
    "database is locked",
    "too many connections",
    "connection reset",
    "broken pipe",
)


def classify_sql_error(exc: sa.exc.SQLAlchemyError) -> SourceError:
    """A `TransientSourceError` or `PermanentSourceError` carrying the driver's first message line."""
    original = getattr(exc, "orig", None) or exc
    message = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    lowered = str(original).lower()
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return TransientSourceError(message)
    if any(marker in lowered for marker in _TRANSIENT_MARKERS):
        return TransientSourceError(message)
    if any(marker in lowered for marker in _PERMANENT_MARKERS):
        return PermanentSourceError(message)
    if isinstance(exc, sa.exc.ProgrammingError | sa.exc.IntegrityError | sa.exc.DataError | sa.exc.ArgumentError):
        return PermanentSourceError(message)
    return TransientSourceError(message)
