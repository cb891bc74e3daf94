"""Classifying database errors as transient (retry) or permanent (fail now).

Driver error codes decide first (PostgreSQL SQLSTATE, MySQL/MariaDB errno): they are stable
across versions and locales. Message substrings are the fallback for errors without a code
(connection failures before a session exists, SQLite).
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from atlas_assets.connectors.errors import PermanentSourceError, SourceError, TransientSourceError

# SQLSTATE classes/codes. 08: connection exception; 53: insufficient resources; 57014: query
# canceled (statement_timeout); 57P0x: the server or an admin ended the session; 40: rollbacks
# (deadlock, serialization) that a retry resolves.
_PG_TRANSIENT_CLASSES = ("08", "53", "40", "58")
_PG_TRANSIENT_CODES = frozenset({"57014", "57P01", "57P02", "57P03", "57P04", "55P03", "25P03"})
# 28: invalid authorization; 3D: unknown database; 42: syntax, missing table/column, privilege.
_PG_PERMANENT_CLASSES = ("28", "3D", "3F", "42", "22", "0A")

# MySQL/MariaDB errno.
_MYSQL_TRANSIENT = frozenset(
    {
        1040,  # too many connections
        1053,  # server shutdown in progress
        1205,  # lock wait timeout
        1213,  # deadlock
        1317,  # query execution was interrupted
        1927,  # MariaDB: connection was killed
        1969,  # MariaDB: max_statement_time exceeded
        2002,  # can't connect through socket
        2003,  # can't connect to server
        2006,  # server has gone away
        2013,  # lost connection during query
        3024,  # MySQL: max_execution_time exceeded
    }
)
_MYSQL_PERMANENT = frozenset(
    {
        1044,  # access denied to database
        1045,  # access denied (bad user or password)
        1049,  # unknown database
        1054,  # unknown column
        1064,  # syntax error
        1142,  # command denied (privilege)
        1146,  # table doesn't exist
        1698,  # access denied (auth plugin)
    }
)

# How connectorx's MySQL errors name the server's errno and SQLSTATE.
_MYSQL_ERROR_TEXT = re.compile(r"\bERROR (\d{4}) \([0-9A-Z]{5}\)")

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
    'role "',
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
    "connection already closed",
)

# PEP 249 exception names that mean the request itself is wrong.
_PERMANENT_DBAPI_CLASSES = frozenset({"ProgrammingError", "IntegrityError", "DataError", "NotSupportedError"})


def classify_sql_error(exc: BaseException) -> SourceError:
    """A `TransientSourceError` or `PermanentSourceError` carrying the driver's first message line.

    Accepts SQLAlchemy errors and raw DB-API driver errors (raised by direct cursor use such
    as PostgreSQL COPY or MySQL unbuffered cursors).
    """
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip()
    message = text.splitlines()[0] if text else type(original).__name__
    verdict = _by_code(original)
    if verdict is None and isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        verdict = True
    if verdict is None:
        verdict = _by_message(text.lower())
    if verdict is None:
        names = {cls.__name__ for cls in type(original).__mro__} | {cls.__name__ for cls in type(exc).__mro__}
        verdict = not (names & _PERMANENT_DBAPI_CLASSES or isinstance(exc, sa.exc.ArgumentError))
    return TransientSourceError(message) if verdict else PermanentSourceError(message)


def _by_code(error: BaseException) -> bool | None:
    """True for transient, False for permanent, None when the code does not decide."""
    pgcode = getattr(error, "pgcode", None)
    if isinstance(pgcode, str) and len(pgcode) == 5:
        if pgcode in _PG_TRANSIENT_CODES or pgcode.startswith(_PG_TRANSIENT_CLASSES):
            return True
        if pgcode.startswith(_PG_PERMANENT_CLASSES):
            return False
        return None
    errno = _mysql_errno(error)
    if errno in _MYSQL_TRANSIENT:
        return True
    if errno in _MYSQL_PERMANENT:
        return False
    return None


def _mysql_errno(error: BaseException) -> int | None:
    """PyMySQL's errno argument, or the `ERROR 1146 (42S02)` that connectorx's messages carry."""
    args = getattr(error, "args", ())
    if args and isinstance(args[0], int) and type(error).__module__.startswith("pymysql"):
        return args[0]
    found = _MYSQL_ERROR_TEXT.search(str(error))
    return int(found.group(1)) if found else None


def _by_message(lowered: str) -> bool | None:
    if any(marker in lowered for marker in _TRANSIENT_MARKERS):
        return True
    if any(marker in lowered for marker in _PERMANENT_MARKERS):
        return False
    return None
