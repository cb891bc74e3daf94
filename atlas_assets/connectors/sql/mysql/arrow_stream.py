"""MySQL/MariaDB rows as Arrow batches straight from connectorx (Rust), never a Python object per value.

connectorx reads the result over the binary protocol and hands back Arrow record batches of at
most `batch_size` rows through a bounded stream, so memory stays flat whatever the table size.
Every non-string, non-binary column is selected `CAST(... AS CHAR)`, so each arrives as the same
text the PyMySQL path reads, and the shared column codecs (`codecs.py`) make its exact Arrow type:
one conversion, whichever driver reads the wire. connectorx's own type mapping is not used (it
widens `decimal(12, 2)` to `decimal(38, 10)`, reads `tinyint(1)` as int8 and so on).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from atlas_assets.connectors.sql.codecs import decode_batch
from atlas_assets.connectors.sql.errors import classify_sql_error
from atlas_assets.connectors.sql.select import SelectPlan


def connectorx_url(url: sa.URL) -> str:
    """The `mysql://` URL connectorx takes: credentials percent-encoded, driver options dropped."""
    return url.set(drivername="mysql", query={}).render_as_string(hide_password=False)


def literal_sql(sql: str, params: dict[str, Any]) -> str:
    """Pyformat SQL with its values inlined, escaped exactly as PyMySQL escapes them when it sends a query.

    connectorx takes no bound parameters. PyMySQL never sends any either (it interpolates
    escaped literals client-side), so this is the statement the PyMySQL path sends.
    """
    from pymysql.converters import escape_item

    return sql % {name: escape_item(value, "utf8mb4") for name, value in params.items()}


UTC_SESSION = "SET time_zone = '+00:00'"
"""TIMESTAMP columns are rendered in the session time zone: every session reads them in UTC."""


def statement_timeout(mariadb: bool, seconds: float) -> str:
    """MariaDB's `max_statement_time` (seconds) or MySQL's `max_execution_time` (ms, SELECT only)."""
    if mariadb:
        return f"SET SESSION max_statement_time = {float(seconds)}"
    return f"SET SESSION max_execution_time = {max(1, round(seconds * 1000))}"


def session_statements(mariadb: bool, statement_timeout_seconds: float | None) -> list[str]:
    """The session settings every connection makes (PyMySQL's at connect): UTC, the statement timeout."""
    statements = [UTC_SESSION]
    if statement_timeout_seconds:
        statements.append(statement_timeout(mariadb, statement_timeout_seconds))
    return statements


def connectorx_batches(
    url: str, sql: str, session: Sequence[str], plan: SelectPlan, batch_size: int
) -> Iterator[pa.RecordBatch]:
    """Decoded batches of `plan.schema`; a driver failure is raised classified (transient or permanent)."""
    import connectorx

    reader: pa.RecordBatchReader | None = None
    try:
        reader = connectorx.read_sql(
            url, sql, return_type="arrow_stream", batch_size=batch_size, pre_execution_query=list(session)
        )
        for raw in reader:
            if raw.num_rows:
                yield decode_batch(raw.columns, plan.codecs, plan.schema)
    except BaseException as exc:
        # connectorx reports failures as RuntimeError, or mid-stream as a Rust panic (a
        # BaseException); both carry the server's errno in their text.
        if isinstance(exc, RuntimeError) or type(exc).__name__ == "PanicException":
            raise classify_sql_error(exc) from None
        raise
    finally:
        if reader is not None:
            reader.close()  # an early stop ends the query instead of reading the rest
