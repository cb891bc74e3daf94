"""Database errors without a DB-API class are classified by the server's errno in their text."""

from __future__ import annotations

from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.sql.errors import classify_sql_error


def test_a_connectorx_error_is_classified_by_the_errno_in_its_text():
    # No message marker matches "command denied", and a bare RuntimeError would count as
    # transient: only errno 1142 (privilege) makes it permanent.
    error = RuntimeError(
        "MySqlError { ERROR 1142 (42000): SELECT command denied to user 'u'@'h' for table 't' }"
    )

    assert isinstance(classify_sql_error(error), PermanentSourceError)


def test_an_errno_of_neither_list_falls_back_to_the_message():
    error = RuntimeError("MySqlError { ERROR 1292 (22007): Incorrect datetime value: syntax error near x }")

    assert isinstance(classify_sql_error(error), PermanentSourceError)
