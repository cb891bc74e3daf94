"""Building the SELECT for an extract request: reflected, quoted, parameterised, ordered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import sqlalchemy as sa

from atlas_assets.connectors.contract import ExtractRequest
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.sql_types import arrow_type_for


@dataclass(frozen=True)
class SelectPlan:
    """A ready statement and the Arrow schema its rows convert to."""

    statement: sa.Select
    schema: pa.Schema


def plan_select(
    engine: sa.Engine,
    request: ExtractRequest,
    default_schema: str | None,
    type_mapper=arrow_type_for,
) -> SelectPlan:
    """Reflect the object's table or query and build its filtered, ordered SELECT.

    Every identifier comes from reflection or is quoted by the dialect; values are bound
    parameters. Config text is never pasted into SQL, except a named `query`, which is the
    user's own SQL by definition.
    """
    source = _reflect(engine, request, default_schema)
    columns = _select_columns(source, request)
    schema = pa.schema([pa.field(c.name, type_mapper(c.type, f"{request.label}.{c.name}")) for c in columns])
    statement = sa.select(*columns)
    cursor_name = request.config.cursor
    if cursor_name is not None:
        cursor = _column(source, cursor_name, request, "cursor")
        statement = statement.where(*_cursor_filters(cursor, request))
        statement = statement.order_by(cursor.desc() if request.newest_first else cursor.asc())
    return SelectPlan(statement=statement, schema=schema)


def _reflect(engine: sa.Engine, request: ExtractRequest, default_schema: str | None) -> sa.FromClause:
    config = request.config
    if config.query is not None:
        probe = sa.text(config.query).subquery("atlas_query")
        with engine.connect() as conn:
            result = conn.execute(sa.select(probe).limit(0))
            names = list(result.keys())
        typed = sa.text(config.query).columns(*[sa.column(n) for n in names])
        return typed.subquery("atlas_query")
    name = config.table or request.object_name
    schema, _, table_name = name.rpartition(".")
    try:
        return sa.Table(table_name, sa.MetaData(), schema=schema or default_schema, autoload_with=engine)
    except sa.exc.NoSuchTableError:
        raise PermanentSourceError(
            f"{request.label}: table {name!r} does not exist in the source (check `table:` or the schema)"
        ) from None


def _select_columns(source: sa.FromClause, request: ExtractRequest) -> list[sa.ColumnElement]:
    wanted = request.config.columns
    if not wanted:
        return list(source.columns)
    required = [*wanted, *request.config.primary_key]
    if request.config.cursor:
        required.append(request.config.cursor)
    names = list(dict.fromkeys(required))
    return [_column(source, n, request, "column") for n in names]


def _column(source: sa.FromClause, name: str, request: ExtractRequest, role: str) -> sa.ColumnElement:
    if name not in source.columns:
        available = ", ".join(sorted(source.columns.keys()))
        raise PermanentSourceError(
            f"{request.label}: {role} {name!r} is not a column of the source object (columns: {available})"
        )
    return source.columns[name]


def _cursor_filters(cursor: sa.ColumnElement, request: ExtractRequest) -> list[sa.ColumnElement[bool]]:
    filters: list[sa.ColumnElement[bool]] = []
    if request.window is not None:
        start, end = (_bound(cursor, b) for b in (request.window.start, request.window.end))
        filters += [cursor >= start, cursor < end]
    if request.after is not None:
        filters.append(cursor > request.after)
    return filters


def _bound(cursor: sa.ColumnElement, value: dt.datetime) -> object:
    """Window bounds are UTC-aware; naive timestamp columns are taken to hold UTC."""
    column_type = cursor.type
    if isinstance(column_type, sa.DateTime) and not column_type.timezone:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(column_type, sa.Date) and not isinstance(column_type, sa.DateTime):
        return value.astimezone(dt.UTC).date()
    return value
