"""Extraction behaviour every server database kind shares, run against real PostgreSQL and MariaDB.

Windows, lookback, ordering, appends, column selection, named queries and schemas; the
PostgreSQL kind runs through both its COPY and named-cursor paths.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
import sqlalchemy as sa

from atlas_assets.config.objects import WriteMode
from atlas_assets.connectors.sql.generic import SqlResource
from atlas_assets_tests.harness import Shop
from atlas_assets_tests.sql_support import (
    Mysql,
    Postgres,
    Scratch,
    ServerDialect,
    drain,
    extract_request,
    unique_name,
    window,
)

EVENTS = "id int primary key, name varchar(20), updated_at {ts}"
EVENT_ROWS = (
    "INSERT INTO {t} VALUES (1, 'before', '2026-01-01 23:59:59.999999'), (2, 'start', '2026-01-02 00:00:00'),"
    " (3, 'noon', '2026-01-02 12:00:00'), (4, 'last', '2026-01-02 23:59:59.999999'),"
    " (5, 'end', '2026-01-03 00:00:00'), (6, 'null', NULL)"
)
DAY_2 = window("2026-01-02T00:00:00", "2026-01-03T00:00:00")


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


@pytest.fixture
def events(dialect, scratch) -> str:
    return scratch.table(EVENTS.format(ts=dialect.timestamp_type), EVENT_ROWS)


def ids(table: pa.Table) -> list[int]:
    return table.column("id").to_pylist()


def test_a_window_selects_cursor_values_in_start_inclusive_end_exclusive(source, events):
    rows = drain(source, extract_request(events, cursor="updated_at", window=DAY_2))

    assert ids(rows) == [2, 3, 4]


def test_lookback_extends_the_window_back_to_catch_late_rows(source, events):
    late = DAY_2.extended_back(dt.timedelta(hours=1))

    rows = drain(source, extract_request(events, cursor="updated_at", lookback="1h", window=late))

    assert ids(rows) == [1, 2, 3, 4]


def test_upserts_read_newest_rows_first(source, events):
    req = extract_request(
        events, cursor="updated_at", primary_key=["id"], write=WriteMode.UPSERT, window=DAY_2
    )

    assert req.newest_first
    assert ids(drain(source, req)) == [4, 3, 2]


def test_append_reads_only_rows_after_the_high_water_mark_in_order(source, scratch):
    table = scratch.table(
        "id int, name varchar(10)", "INSERT INTO {t} VALUES (3, 'c'), (1, 'a'), (5, 'e'), (2, 'b')"
    )

    rows = drain(source, extract_request(table, cursor="id", write=WriteMode.APPEND, after=2))

    assert ids(rows) == [3, 5]


def test_batches_never_exceed_the_batch_size(source, scratch):
    table = scratch.table("id int", "INSERT INTO {t} VALUES " + ", ".join(f"({i})" for i in range(1, 2501)))

    batches = list(
        source.extract(extract_request(table, cursor="id", write=WriteMode.APPEND, batch_size=1000))
    )

    assert max(b.num_rows for b in batches) <= 1000
    assert sum(b.num_rows for b in batches) == 2500


def test_column_selection_reads_the_named_columns_plus_key_and_cursor(source, events):
    rows = drain(
        source,
        extract_request(events, columns=["name"], primary_key=["id"], cursor="updated_at", window=DAY_2),
    )

    assert rows.column_names == ["name", "id", "updated_at"]


def test_a_named_query_is_typed_from_the_database(source, events):
    query = f"SELECT id, name, updated_at FROM {events} WHERE id >= 3;"

    rows = drain(source, extract_request("recent", query=query, cursor="updated_at", window=DAY_2))

    assert ids(rows) == [3, 4]
    assert rows.schema.field("updated_at").type == pa.timestamp("us")
    assert rows.schema.field("id").type == pa.int64()


def test_a_schema_qualified_table_is_read_from_that_schema(dialect, source, scratch):
    schema = f"s_{scratch.table('id int').split('_', 1)[1]}"
    dialect.create_schema(scratch, schema)
    scratch.execute(f"CREATE TABLE {schema}.items (id int)", f"INSERT INTO {schema}.items VALUES (7)")

    rows = drain(source, extract_request("items", table=f"{schema}.items"))

    assert ids(rows) == [7]


def test_db_schema_is_where_unqualified_tables_are_found(dialect, scratch):
    schema = f"s_{scratch.table('id int').split('_', 1)[1]}"
    dialect.create_schema(scratch, schema)
    scratch.execute(f"CREATE TABLE {schema}.items (id int)", f"INSERT INTO {schema}.items VALUES (8)")
    source = dialect.resource(db_schema=schema)

    try:
        assert ids(drain(source, extract_request("items"))) == [8]
    finally:
        source.dispose()


def test_a_table_name_needing_quotes_is_read_through_the_dialect(dialect, source, scratch):
    name = f'{unique_name("Odd")} "q"; x'
    quoted = dialect.quote(name)
    scratch.execute(f"CREATE TABLE {quoted} (id int)", f"INSERT INTO {quoted} VALUES (9)")
    scratch.on_cleanup(f"DROP TABLE IF EXISTS {quoted}")

    assert ids(drain(source, extract_request("odd", table=name))) == [9]


def test_check_connection_succeeds_on_a_reachable_server(source):
    source.check_connection()


def test_a_sqlite_source_is_opened_read_only(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    source = SqlResource(url=shop.url)

    with pytest.raises(sa.exc.OperationalError, match="readonly"), source.engine().begin() as conn:
        conn.execute(sa.text("DELETE FROM orders"))
