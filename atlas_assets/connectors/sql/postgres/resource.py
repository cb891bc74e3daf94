"""`kind: postgres` — PostgreSQL through psycopg2, streamed by COPY (default) or a named cursor.

Both paths read every column as PostgreSQL text and convert it column-wise to exact Arrow
types (`postgres_types.py`), so neither builds a Python object per value. On the benchmark table
COPY measured 2.5-4.5x the named server-side cursor in three runs (benchmarks/README.md), with
the same types, so it is the default; `extract_method: cursor` remains for servers or poolers
that refuse COPY.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import pyarrow as pa
import sqlalchemy as sa
from pydantic import Field

from atlas_assets.connectors.contract import ExtractRequest
from atlas_assets.connectors.sql.codecs import decode_rows
from atlas_assets.connectors.sql.postgres.copy import copy_batches, copy_sql
from atlas_assets.connectors.sql.select import SelectPlan, compile_for_driver, plan_text_select
from atlas_assets.connectors.sql.server import ServerSourceConfig, ServerSqlResource, driver_connection

ExtractMethod = Literal["copy", "cursor"]

# Fixed session settings make PostgreSQL's text output (what we parse) independent of server
# defaults: UTC timestamps, ISO dates, round-trip-exact floats.
_SESSION = {
    "TimeZone": "UTC",
    "DateStyle": "ISO,YMD",
    "IntervalStyle": "postgres",
    "extra_float_digits": "1",
    "client_encoding": "UTF8",
}


class PostgresSourceConfig(ServerSourceConfig):
    """`kind: postgres` — a PostgreSQL database (host/port/database/user/password or url)."""

    kind: Literal["postgres"]
    extract_method: ExtractMethod = Field(
        default="copy", description="copy (fastest) or cursor (a named server-side cursor)."
    )

    def build_resource(self) -> PostgresResource:
        return PostgresResource(**self.resource_kwargs(), extract_method=self.extract_method)


class PostgresResource(ServerSqlResource):
    """A PostgreSQL source: pooled psycopg2 engine; COPY or named-cursor streaming into Arrow."""

    driver: ClassVar[str] = "postgresql+psycopg2"
    default_port: ClassVar[int] = 5432

    extract_method: str = "copy"  # ExtractMethod; Dagster resource config has no Literal type

    def connect_args(self) -> dict[str, Any]:
        session = dict(_SESSION)
        if self.statement_timeout_seconds:
            session["statement_timeout"] = str(max(1, round(self.statement_timeout_seconds * 1000)))
        args: dict[str, Any] = {
            "options": " ".join(f"-c {key}={value}" for key, value in session.items()),
            "application_name": "atlas-assets",
        }
        if self.connect_timeout_seconds:
            # libpq takes whole seconds and treats 1 as 2; round up so a timeout is never shorter.
            args["connect_timeout"] = max(2, math.ceil(self.connect_timeout_seconds))
        tls = {
            "sslmode": self.sslmode,
            "sslrootcert": self.ssl_ca,
            "sslcert": self.ssl_cert,
            "sslkey": self.ssl_key,
        }
        return args | {k: v for k, v in tls.items() if v is not None}

    def plan(self, request: ExtractRequest) -> SelectPlan:
        # Imported here: SQLAlchemy's PostgreSQL dialect is not needed to load definitions.
        from atlas_assets.connectors.sql.postgres.types import postgres_codec

        return plan_text_select(
            self.engine(),
            request,
            self.db_schema,
            postgres_codec,
            describe_postgres_query,
            cast_to_text=self.extract_method == "cursor",
        )

    def stream(self, request: ExtractRequest) -> Iterator[pa.RecordBatch]:
        plan = self.plan(request)
        select_sql, params = compile_for_driver(self.engine(), plan.statement)
        with driver_connection(self.engine()) as dbapi_connection:
            if self.extract_method == "copy":
                sql = copy_sql(dbapi_connection, select_sql, params)
                yield from copy_batches(dbapi_connection, sql, plan, request.batch_size)
            else:
                yield from _named_cursor_batches(
                    dbapi_connection, select_sql, params, plan, request.batch_size
                )


def _named_cursor_batches(
    dbapi_connection: Any, sql: str, params: dict[str, Any], plan: SelectPlan, batch_size: int
) -> Iterator[pa.RecordBatch]:
    """A named (server-side) cursor: the server holds the result, we fetch `batch_size` rows at a time."""
    with dbapi_connection.cursor(name=f"atlas_{uuid.uuid4().hex}") as cursor:
        cursor.itersize = batch_size
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch_size):
            yield decode_rows(rows, plan.codecs, plan.schema)


def describe_postgres_query(conn: sa.Connection, query: str) -> list[sa.Column[Any]]:
    """A named query's columns with full types: reflected from a temporary view, then rolled back."""
    view = f"atlas_probe_{uuid.uuid4().hex[:16]}"
    transaction = conn.begin()
    try:
        conn.execute(sa.text(f"CREATE TEMPORARY VIEW {view} AS {query}"))
        columns = sa.inspect(conn).get_columns(view)
    finally:
        transaction.rollback()  # the view never outlives the probe
    return [sa.Column(c["name"], c["type"]) for c in columns]
