"""Database faults are classified, name the object and never leak secrets; injection fails safely.

Run against real PostgreSQL (COPY and named-cursor paths) and MariaDB.
"""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa

from atlas_assets.config.objects import WriteMode
from atlas_assets.connectors.errors import PermanentSourceError, TransientSourceError
from atlas_assets.connectors.sql.server import ServerSqlResource
from atlas_assets_tests.sql_support import Mysql, Postgres, Scratch, ServerDialect, drain, extract_request

# The object label a connector never adds itself: the ingestion step names the object, once.
LABEL = "acme.db."
SECRET = "s3cr3t-Pa55word"


@pytest.fixture(params=["postgres-copy", "postgres-cursor", "mysql"])
def dialect(request) -> ServerDialect:
    if request.param.startswith("postgres"):
        return Postgres(
            request.getfixturevalue("pg_url"), extract_method=request.param.removeprefix("postgres-")
        )
    return Mysql(request.getfixturevalue("mysql_url"))


@pytest.fixture
def scratch(dialect):
    scratch = Scratch(dialect.url)
    yield scratch
    scratch.close()


@pytest.fixture
def source(dialect):
    resource = dialect.resource()
    yield resource
    resource.dispose()


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_is_transient(dialect):
    url = sa.engine.make_url(dialect.url).set(port=closed_port())
    source = dialect.resource(url=url.render_as_string(hide_password=False))

    with pytest.raises(TransientSourceError):
        source.check_connection()


def test_bad_credentials_are_permanent_and_the_password_never_appears(dialect):
    # PostgreSQL here trusts local connections, so an unknown role stands in for a wrong password.
    url = sa.engine.make_url(dialect.url)
    user = "atlas_nobody" if dialect.name == "postgres" else url.username
    source = dialect.resource(
        url=None, host=url.host, port=url.port, database=url.database, user=user, password=SECRET
    )

    with pytest.raises(PermanentSourceError) as failure:
        drain(source, extract_request("anything"))

    assert SECRET not in str(failure.value)
    assert SECRET not in repr(failure.value.__cause__)


def test_a_missing_table_is_permanent_and_names_the_object(source):
    with pytest.raises(PermanentSourceError) as failure:
        drain(source, extract_request("no_such_table_here"))

    assert not str(failure.value).startswith(LABEL)
    assert "no_such_table_here" in str(failure.value)
    assert "does not exist" in str(failure.value)


def test_a_missing_cursor_column_is_permanent_and_lists_the_columns(source, scratch):
    table = scratch.table("id int, created_at date")

    with pytest.raises(PermanentSourceError) as failure:
        drain(source, extract_request(table, cursor="updated_at", write=WriteMode.APPEND))

    assert not str(failure.value).startswith(LABEL)
    assert "'updated_at'" in str(failure.value)
    assert "created_at, id" in str(failure.value)


def test_a_statement_timeout_is_transient(dialect):
    source = dialect.resource(statement_timeout_seconds=0.3)

    try:
        with pytest.raises(TransientSourceError):
            drain(source, extract_request("slow", query=dialect.sleep_query(3)))
    finally:
        source.dispose()


def read_then_drop_connection(dialect: ServerDialect, source: ServerSqlResource, scratch: Scratch) -> tuple:
    """Start extracting a 300k-row table, read one batch, end the session server-side, drain the rest.

    Returns (table, error raised while draining, sessions killed).
    """
    table = scratch.table("id int, pad varchar(100)")
    scratch.execute(dialect.fill_sql(table, rows=300_000))
    batches = source.extract(extract_request(table, cursor="id", write=WriteMode.APPEND, batch_size=1000))
    try:
        next(batches)
        killed = dialect.kill_session_running(scratch, table)
        try:
            for _ in batches:
                pass
        except Exception as exc:
            return table, exc, killed
        return table, None, killed
    finally:
        batches.close()


def test_a_connection_dropped_mid_extract_is_transient(dialect, source, scratch):
    _table, error, killed = read_then_drop_connection(dialect, source, scratch)

    assert killed == 1
    assert isinstance(error, TransientSourceError)
    assert not str(error).startswith(LABEL)


def test_the_pool_recovers_after_a_dropped_connection(dialect, source, scratch):
    table, error, _ = read_then_drop_connection(dialect, source, scratch)
    assert error is not None

    rows = drain(source, extract_request(table, cursor="id", write=WriteMode.APPEND))

    assert rows.num_rows == 300_000


def test_an_injection_attempt_in_a_table_name_fails_safely(source, scratch):
    canary = scratch.table("id int", "INSERT INTO {t} VALUES (1)", prefix="canary")

    for name in (
        f"{canary}; DROP TABLE {canary}",
        f'{canary}" ; DROP TABLE {canary}; --',
        f"x` ; DROP TABLE {canary}; --",
    ):
        with pytest.raises(PermanentSourceError):
            drain(source, extract_request("evil", table=name))

    assert scratch.scalar(f"SELECT count(*) FROM {canary}") == 1


def test_an_injection_attempt_in_a_column_name_fails_safely(source, scratch):
    canary = scratch.table("id int", "INSERT INTO {t} VALUES (1)", prefix="canary")
    evil = f'id" FROM {canary}; DROP TABLE {canary}; --'

    with pytest.raises(PermanentSourceError) as failure:
        drain(source, extract_request(canary, columns=[evil]))
    with pytest.raises(PermanentSourceError):
        drain(source, extract_request(canary, cursor=f"id`; DROP TABLE {canary}; --", write=WriteMode.APPEND))

    assert "is not a column" in str(failure.value)
    assert scratch.scalar(f"SELECT count(*) FROM {canary}") == 1
