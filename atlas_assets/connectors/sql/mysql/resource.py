"""`kind: mysql` — MySQL and MariaDB: rows read by connectorx (Rust) straight into Arrow.

Reflection, planning and connection checks go through a pooled PyMySQL engine; the rows
themselves are read by connectorx (`arrow_stream.py`), which builds Arrow batches in Rust, each
non-text column arriving as its text and converted column-wise by the shared codecs. On the
500k-row benchmark table that is several times PyMySQL's unbuffered cursor, whose pure-Python
row parsing capped it near 57k rows/s (benchmarks/README.md). A source with TLS (`sslmode`
require / verify-*) is still read through PyMySQL's `SSCursor` with its converters off and the
same codecs: connectorx's TLS options do not map onto `sslmode` and its certificates.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import pyarrow as pa
import sqlalchemy as sa

from atlas_assets.connectors.contract import ExtractRequest
from atlas_assets.connectors.sql.codecs import decode_rows
from atlas_assets.connectors.sql.mysql.arrow_stream import (
    UTC_SESSION,
    connectorx_batches,
    connectorx_url,
    literal_sql,
    session_statements,
    statement_timeout,
)
from atlas_assets.connectors.sql.select import SelectPlan, compile_for_driver, plan_text_select
from atlas_assets.connectors.sql.server import ServerSourceConfig, ServerSqlResource, driver_connection


class MysqlSourceConfig(ServerSourceConfig):
    """`kind: mysql` — a MySQL or MariaDB database (host/port/database/user/password or url)."""

    kind: Literal["mysql"]

    def build_resource(self) -> MysqlResource:
        return MysqlResource(**self.resource_kwargs())


class MysqlResource(ServerSqlResource):
    """A MySQL/MariaDB source: pooled PyMySQL engine for metadata, connectorx streaming into Arrow."""

    driver: ClassVar[str] = "mysql+pymysql"
    default_port: ClassVar[int] = 3306

    def connect_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"charset": "utf8mb4", "init_command": UTC_SESSION}
        if self.connect_timeout_seconds:
            args["connect_timeout"] = self.connect_timeout_seconds
        ssl = self._ssl_args()
        if ssl is not None:
            args["ssl"] = ssl
        return args

    def _ssl_args(self) -> dict[str, Any] | None:
        """libpq-style `sslmode` in PyMySQL's terms.

        'prefer' connects without TLS: PyMySQL cannot fall back from TLS to plain.
        """
        if self.sslmode in (None, "disable", "prefer"):
            return None
        ssl: dict[str, Any] = {"check_hostname": self.sslmode == "verify-full"}
        if self.sslmode in ("verify-ca", "verify-full"):
            ssl["verify_mode"] = True
        paths = {"ca": self.ssl_ca, "cert": self.ssl_cert, "key": self.ssl_key}
        return ssl | {k: v for k, v in paths.items() if v is not None}

    def create_engine(self) -> sa.Engine:
        engine = super().create_engine()
        timeout = self.statement_timeout_seconds
        if timeout:
            sa.event.listen(
                engine,
                "connect",
                lambda dbapi_connection, _record: _limit_statements(dbapi_connection, timeout),
            )
        return engine

    def plan(self, request: ExtractRequest) -> SelectPlan:
        # Imported here: SQLAlchemy's MySQL dialect is not needed to load definitions.
        from atlas_assets.connectors.sql.mysql.types import mysql_codec

        return plan_text_select(
            self.engine(), request, self.db_schema, mysql_codec, describe_mysql_query, cast_to_text=True
        )

    def stream(self, request: ExtractRequest) -> Iterator[pa.RecordBatch]:
        plan = self.plan(request)
        sql, params = compile_for_driver(self.engine(), plan.statement)
        if self._ssl_args() is not None:
            yield from self._pymysql_batches(sql, params, plan, request.batch_size)
            return
        session = session_statements(self.engine().dialect.is_mariadb, self.statement_timeout_seconds)
        yield from connectorx_batches(
            connectorx_url(self.connection_url()), literal_sql(sql, params), session, plan, request.batch_size
        )

    def _pymysql_batches(
        self, sql: str, params: dict[str, Any], plan: SelectPlan, batch_size: int
    ) -> Iterator[pa.RecordBatch]:
        """The TLS path: PyMySQL's unbuffered cursor, raw text per value, the same codecs."""
        import pymysql.cursors

        with driver_connection(self.engine()) as dbapi_connection:
            decoders = dbapi_connection.decoders
            dbapi_connection.decoders = {}  # raw text/bytes per value; converted per column below
            cursor = dbapi_connection.cursor(pymysql.cursors.SSCursor)
            try:
                cursor.execute(sql, params)
                while rows := cursor.fetchmany(batch_size):
                    yield decode_rows(rows, plan.codecs, plan.schema)
                cursor.close()
            except BaseException:
                _abandon(cursor)
                raise
            finally:
                dbapi_connection.decoders = decoders


def _abandon(cursor: Any) -> None:
    """Forget an unbuffered result instead of draining it: the connection is being invalidated.

    Closing an `SSCursor` reads every remaining row (the whole table, after an early stop) and,
    on a dropped connection, fails and hides the real error.
    """
    result = getattr(cursor, "_result", None)
    if result is not None:
        result.unbuffered_active = False


def _limit_statements(dbapi_connection: Any, seconds: float) -> None:
    """The statement timeout on a new PyMySQL connection (`statement_timeout`)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(statement_timeout("mariadb" in dbapi_connection.get_server_info().lower(), seconds))


def describe_mysql_query(conn: sa.Connection, query: str) -> list[sa.Column[Any]]:
    """A named query's columns with full types: reflected from an empty temporary table, then dropped."""
    probe = f"atlas_probe_{uuid.uuid4().hex[:16]}"
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE {probe} AS SELECT * FROM ({query}) AS atlas_query LIMIT 0"))
    try:
        columns = sa.inspect(conn).get_columns(probe)
    finally:
        conn.execute(sa.text(f"DROP TEMPORARY TABLE {probe}"))
    return [sa.Column(c["name"], c["type"]) for c in columns]
