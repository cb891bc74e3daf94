"""Building the SELECT for an extract request: reflected, quoted, parameterised, ordered.

Every identifier comes from reflection and is quoted by the dialect; values are bound
parameters. Config text is never pasted into SQL, except a named `query`, which is the user's
own SQL by definition.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from atlas_assets.connectors.contract import ExtractRequest
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.sql.codecs import ColumnCodec
from atlas_assets.connectors.sql.types import arrow_type_for
from atlas_assets.connectors.window_bounds import (
    EPOCH_UNITS_PER_SECOND,
    CursorBoundError,
    CursorStorage,
    Side,
    sql_storage,
    window_bound,
)

QUERY_ALIAS = "atlas_query"
UNRECOGNISED = "atlas_unrecognised_types"
# LIKE's `_` is any one character: what every ISO 8601 date or date-time starts with.
_ISO_DATE_SHAPE = "____-__-__%"
_UNRECOGNISED_TYPE = re.compile(r"Did not recognize type '(?P<type>[^']+)' of column '(?P<column>[^']+)'")

DescribeQuery = Callable[[sa.Connection, str], list[sa.Column[Any]]]
"""Reflects a named query's result columns (names and database types) on a live connection."""

CodecFor = Callable[[sa.types.TypeEngine[Any]], ColumnCodec | None]


@dataclass(frozen=True)
class SelectPlan:
    """A ready statement, the Arrow schema its rows convert to and, for text paths, each column's codec."""

    statement: sa.Select[Any]
    schema: pa.Schema
    codecs: tuple[ColumnCodec, ...] = field(default=())


def plan_select(
    engine: sa.Engine,
    request: ExtractRequest,
    default_schema: str | None,
    type_mapper: Callable[[sa.types.TypeEngine[Any], str], pa.DataType] = arrow_type_for,
) -> SelectPlan:
    """Reflect the object's table or query and build its filtered, ordered SELECT of native values."""
    source = _reflect(engine, request, default_schema, describe_untyped_query)
    columns = _select_columns(source, request)
    schema = pa.schema([pa.field(c.name, type_mapper(c.type, _where(request, c))) for c in columns])
    return SelectPlan(statement=_filtered(sa.select(*columns), source, request), schema=schema)


def plan_text_select(
    engine: sa.Engine,
    request: ExtractRequest,
    default_schema: str | None,
    codec_for: CodecFor,
    describe_query: DescribeQuery,
    *,
    cast_to_text: bool = False,
) -> SelectPlan:
    """As `plan_select`, for paths that read each column as text and decode it column-wise.

    Each column is selected through its codec's `select_as` (and cast to text when the driver
    should hand back strings); an unmapped type fails here, before any row is read, naming the
    object, column and type.
    """
    source = _reflect(engine, request, default_schema, describe_query)
    columns = _select_columns(source, request)
    codecs = [
        _codec(codec_for, c, request, getattr(source, "info", {}).get(UNRECOGNISED, {})) for c in columns
    ]
    selected = []
    for column, codec in zip(columns, codecs, strict=True):
        expression = codec.select_as(column) if codec.select_as else column
        if (
            cast_to_text
            and not isinstance(expression.type, sa.String)
            and not pa.types.is_binary(codec.text_type)
        ):
            # Strings stay as they are (a cast would trim char(n) padding), and so do columns
            # whose codec reads raw bytes.
            expression = sa.cast(expression, sa.Text)
        selected.append(expression.label(column.name) if expression is not column else column)
    schema = pa.schema([pa.field(c.name, codec.arrow_type) for c, codec in zip(columns, codecs, strict=True)])
    statement = _filtered(sa.select(*selected), source, request)
    return SelectPlan(statement=statement, schema=schema, codecs=tuple(codecs))


def compile_for_driver(engine: sa.Engine, statement: sa.Select[Any]) -> tuple[str, dict[str, Any]]:
    """SQL text in the driver's paramstyle and its bound values, for direct DB-API cursor use."""
    compiled = statement.compile(dialect=engine.dialect)
    return compiled.string, dict(compiled.params)


def describe_untyped_query(conn: sa.Connection, query: str) -> list[sa.Column[Any]]:
    """Column names of a query's result, without types (the generic fallback)."""
    probe = sa.text(query).subquery(QUERY_ALIAS)
    names = list(conn.execute(sa.select(probe).limit(0)).keys())
    return [sa.Column(name, sa.types.NullType()) for name in names]


def query_text(request: ExtractRequest) -> str:
    """The object's named query without a trailing semicolon (it is embedded as a subquery)."""
    return (request.config.query or "").strip().rstrip(";").strip()


def _reflect(
    engine: sa.Engine, request: ExtractRequest, default_schema: str | None, describe_query: DescribeQuery
) -> sa.FromClause:
    config = request.config
    if config.query is not None:
        query = query_text(request)
        with engine.connect() as conn:
            columns = describe_query(conn, query)
        return sa.text(query).columns(*columns).subquery(QUERY_ALIAS)
    name = config.table or request.object_name
    schema, _, table_name = name.rpartition(".")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", sa.exc.SAWarning)
            table = sa.Table(table_name, sa.MetaData(), schema=schema or default_schema, autoload_with=engine)
    except sa.exc.NoSuchTableError:
        raise PermanentSourceError(
            f"table {name!r} does not exist in the source (check `table:` or the schema)"
        ) from None
    table.info[UNRECOGNISED] = _unrecognised_types(caught)
    return table


def _unrecognised_types(caught: list[warnings.WarningMessage]) -> dict[str, str]:
    """Database type names SQLAlchemy could not reflect (it types those columns NULL), by column."""
    found = (_UNRECOGNISED_TYPE.search(str(w.message)) for w in caught)
    return {m.group("column"): m.group("type") for m in found if m}


def _select_columns(source: sa.FromClause, request: ExtractRequest) -> list[sa.ColumnElement[Any]]:
    wanted = request.config.columns
    if not wanted:
        return list(source.columns)
    required = [*wanted, *request.config.primary_key]
    if request.config.cursor:
        required.append(request.config.cursor)
    names = list(dict.fromkeys(required))
    return [_column(source, n, request, "column") for n in names]


def _column(source: sa.FromClause, name: str, request: ExtractRequest, role: str) -> sa.ColumnElement[Any]:
    if name not in source.columns:
        available = ", ".join(sorted(source.columns.keys()))
        raise PermanentSourceError(
            f"{role} {name!r} is not a column of the source object (columns: {available})"
        )
    return source.columns[name]


def _codec(
    codec_for: CodecFor, column: sa.ColumnElement[Any], request: ExtractRequest, unrecognised: dict[str, str]
) -> ColumnCodec:
    codec = codec_for(column.type)
    if codec is None:
        type_name = unrecognised.get(column.name) or str(column.type)
        raise PermanentSourceError(
            f"column {_where(request, column)} has type {type_name}, which has no Arrow "
            "mapping; select it cast to text in a `query`, or leave it out with `columns`"
        )
    return codec


def _where(request: ExtractRequest, column: sa.ColumnElement[Any]) -> str:
    """`table.column` (or `query.column`) for messages."""
    table = request.config.table or ("query" if request.config.query is not None else request.object_name)
    return f"{table}.{column.name}"


def _filtered(statement: sa.Select[Any], source: sa.FromClause, request: ExtractRequest) -> sa.Select[Any]:
    cursor_name = request.config.cursor
    if cursor_name is None:
        return statement
    cursor = _column(source, cursor_name, request, "cursor")
    statement = statement.where(*_cursor_filters(cursor, request))
    return statement.order_by(cursor.desc() if request.newest_first else cursor.asc())


def _cursor_filters(cursor: sa.ColumnElement[Any], request: ExtractRequest) -> list[sa.ColumnElement[bool]]:
    filters: list[sa.ColumnElement[bool]] = []
    if request.window is not None:
        # Text cursors get a covering range here and are compared as instants once decoded
        # (`cursor_window.cursor_in_window`); every other storage compares exactly in the database.
        start = _bound(cursor, request.window.start, request, "start")
        end = _bound(cursor, request.window.end, request, "end")
        in_range = sa.and_(cursor >= start, cursor < end)
        if _storage(cursor, request) is CursorStorage.TEXT:
            # Text that does not start like an ISO date sorts outside any covering range: read it
            # too, so decoding fails loudly on it instead of its row silently never being read.
            in_range = sa.or_(in_range, cursor.not_like(_ISO_DATE_SHAPE))
        filters.append(in_range)
    if request.after is not None:
        filters.append(cursor > request.after)
    return filters


class _NaiveWindowBound(sa.types.TypeDecorator[dt.datetime]):
    """A window bound for a naive timestamp column.

    SQLite keeps timestamps as text and compares them as text. SQLAlchemy binds
    '2026-01-02 00:00:00.000000', which sorts *after* a stored '2026-01-02 00:00:00', so such a
    row would fall into the previous day's window. Bound without a zero fraction, the text sorts
    at or before both stored forms, exactly as the instants do.
    """

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        return dialect.type_descriptor(sa.String() if dialect.name == "sqlite" else sa.DateTime())

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return f"{text}.{value.microsecond:06d}" if value.microsecond else text


def _storage(cursor: sa.ColumnElement[Any], request: ExtractRequest) -> CursorStorage | None:
    storage = sql_storage(cursor.type)
    if storage is None and isinstance(cursor.type, sa.types.NullType):
        # A generic `query` on SQLite: its values are epoch numbers (per cursor_format) or text.
        epoch = request.config.cursor_format in EPOCH_UNITS_PER_SECOND
        storage = CursorStorage.INTEGER if epoch else CursorStorage.TEXT
    return storage


def _bound(cursor: sa.ColumnElement[Any], bound: dt.datetime, request: ExtractRequest, side: Side) -> object:
    """A window bound in the cursor column's type; an untyped column (a generic `query`) as text."""
    storage = _storage(cursor, request)
    try:
        value = window_bound(storage, bound, request.config.cursor_format, side)
    except CursorBoundError as exc:
        raise PermanentSourceError(f"cursor {_where(request, cursor)} ({cursor.type}): {exc}") from None
    if storage is CursorStorage.TIMESTAMP:
        return sa.bindparam(None, value, type_=_NaiveWindowBound())
    return value
