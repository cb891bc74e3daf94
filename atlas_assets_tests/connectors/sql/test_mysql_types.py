"""MySQL/MariaDB → Arrow: one table per type family round-trips with values (and NULLs) equal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.sql.mysql.resource import MysqlResource
from atlas_assets_tests.sql_support import Scratch, drain, extract_request


@pytest.fixture
def scratch(mysql_url):
    scratch = Scratch(mysql_url)
    yield scratch
    scratch.close()


@pytest.fixture
def source(mysql_url):
    resource = MysqlResource(url=mysql_url)
    yield resource
    resource.dispose()


def roundtrip(source: MysqlResource, scratch: Scratch, columns: str, *rows: str) -> pa.Table:
    """Create a table `(id int, <columns>)`, insert `rows` (SQL tuples) plus an all-NULL row, extract it."""
    inserts = [f"INSERT INTO {{t}} VALUES ({i}, {row})" for i, row in enumerate(rows)]
    table = scratch.table(f"id int, {columns}", *inserts, f"INSERT INTO {{t}} (id) VALUES ({len(rows)})")
    return drain(source, extract_request(table)).sort_by("id")


def values(table: pa.Table, column: str) -> list:
    return table.column(column).to_pylist()


def test_tinyint_1_is_boolean(source, scratch):
    rows = roundtrip(source, scratch, "b tinyint(1), flag boolean", "1, 0", "0, 2")

    assert rows.schema.field("b").type == pa.bool_()
    assert values(rows, "b") == [True, False, None]
    assert values(rows, "flag") == [False, True, None]


def test_signed_and_unsigned_integers_keep_their_full_range(source, scratch):
    rows = roundtrip(
        source,
        scratch,
        "t tinyint, tu tinyint unsigned, m mediumint unsigned, i int, iu int unsigned,"
        " b bigint, bu bigint unsigned",
        "-128, 255, 16777215, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615",
    )

    assert [rows.schema.field(c).type for c in ("t", "tu", "m", "iu", "bu")] == [
        pa.int32(),
        pa.int32(),
        pa.int32(),
        pa.int64(),
        pa.decimal128(20, 0),
    ]
    assert values(rows, "tu") == [255, None]
    assert values(rows, "iu") == [4294967295, None]
    assert values(rows, "b") == [-9223372036854775808, None]
    assert values(rows, "bu") == [Decimal(18446744073709551615), None]


def test_decimals_keep_precision_and_scale_and_wide_ones_are_exact_text(source, scratch):
    rows = roundtrip(
        source,
        scratch,
        "d decimal(38, 10), w decimal(65, 5)",
        "-1234567890123456789012345678.0123456789, 1.5",
    )

    assert rows.schema.field("d").type == pa.decimal128(38, 10)
    assert values(rows, "d") == [Decimal("-1234567890123456789012345678.0123456789"), None]
    assert values(rows, "w") == ["1.50000", None]


def test_floats_and_doubles_round_trip(source, scratch):
    rows = roundtrip(source, scratch, "f float, d double", "1.5, 0.1", "-3.25, 1.7976931348623157e308")

    assert rows.schema.field("f").type == pa.float32()
    assert values(rows, "f") == [1.5, -3.25, None]
    assert values(rows, "d") == [0.1, 1.7976931348623157e308, None]


def test_text_enum_set_and_json_are_strings(source, scratch):
    rows = roundtrip(
        source,
        scratch,
        "t text, v varchar(20), e enum('a', 'b'), s set('x', 'y'), j json",
        """'a,"b"\\nc', '', 'b', 'x,y', '{"k": [1, 2]}'""",
        "'é€😀', 'NULL', 'a', '', '[]'",
    )

    assert values(rows, "t") == ['a,"b"\nc', "é€😀", None]
    assert values(rows, "v") == ["", "NULL", None]
    assert values(rows, "e") == ["b", "a", None]
    assert values(rows, "s") == ["x,y", "", None]
    assert values(rows, "j") == ['{"k": [1, 2]}', "[]", None]


def test_dates_times_datetimes_and_years(source, scratch):
    rows = roundtrip(
        source,
        scratch,
        "d date, t time(6), dt6 datetime(6), y year",
        "'2026-02-03', '23:59:59.999999', '2026-02-03 04:05:06.123456', 2026",
        "'1000-01-01', '00:00:00', '9999-12-31 23:59:59', 1901",
    )

    assert rows.schema.field("dt6").type == pa.timestamp("us")
    assert rows.schema.field("y").type == pa.int32()
    assert values(rows, "d") == [dt.date(2026, 2, 3), dt.date(1000, 1, 1), None]
    assert values(rows, "t") == [dt.time(23, 59, 59, 999999), dt.time(0, 0), None]
    assert values(rows, "dt6") == [
        dt.datetime(2026, 2, 3, 4, 5, 6, 123456),
        dt.datetime(9999, 12, 31, 23, 59, 59),
        None,
    ]
    assert values(rows, "y") == [2026, 1901, None]


def test_timestamps_are_read_in_utc_whatever_the_writers_time_zone(source, scratch):
    table = scratch.table("id int, ts timestamp(6) NULL")
    with scratch.engine.begin() as conn:
        conn.exec_driver_sql("SET time_zone = '+05:30'")
        conn.exec_driver_sql(f"INSERT INTO {table} VALUES (1, '2026-02-03 10:00:00.5'), (2, NULL)")

    rows = drain(source, extract_request(table)).sort_by("id")

    assert rows.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert values(rows, "ts") == [dt.datetime(2026, 2, 3, 4, 30, 0, 500000, tzinfo=dt.UTC), None]


def test_binary_and_blobs_are_bytes(source, scratch):
    rows = roundtrip(source, scratch, "b blob, v varbinary(4)", "x'00ff10', x''")

    assert rows.schema.field("b").type == pa.binary()
    assert values(rows, "b") == [b"\x00\xff\x10", None]
    assert values(rows, "v") == [b"", None]


def test_a_time_outside_a_day_fails_naming_the_column(source, scratch):
    table = scratch.table("id int, t time", "INSERT INTO {t} VALUES (1, '-01:00:00')")

    with pytest.raises(PermanentSourceError) as failure:
        drain(source, extract_request(table))

    assert "column 't'" in str(failure.value)


def test_an_unmapped_type_fails_naming_the_table_column_and_type(source, scratch):
    table = scratch.table("id int, g point", "INSERT INTO {t} VALUES (1, POINT(1, 2))")

    with pytest.raises(PermanentSourceError) as failure:
        drain(source, extract_request(table))

    assert f"{table}.g" in str(failure.value)
    assert "point" in str(failure.value).lower()
