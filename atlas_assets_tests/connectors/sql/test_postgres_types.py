"""PostgreSQL → Arrow: one table per type family round-trips with values (and NULLs) equal.

Every test runs through both extraction paths: COPY (the default) and the named cursor.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.sql.postgres.resource import PostgresResource
from atlas_assets_tests.sql_support import Scratch, drain, extract_request, unique_name


@pytest.fixture
def scratch(pg_url):
    scratch = Scratch(pg_url)
    yield scratch
    scratch.close()


@pytest.fixture(params=["copy", "cursor"])
def source(request, pg_url):
    resource = PostgresResource(url=pg_url, extract_method=request.param)
    yield resource
    resource.dispose()


def roundtrip(source: PostgresResource, scratch: Scratch, columns: str, *rows: str) -> pa.Table:
    """Create a table `(id int, <columns>)`, insert `rows` (SQL tuples) plus an all-NULL row, extract it."""
    inserts = [f"INSERT INTO {{t}} VALUES ({i}, {row})" for i, row in enumerate(rows)]
    table = scratch.table(f"id int, {columns}", *inserts, f"INSERT INTO {{t}} (id) VALUES ({len(rows)})")
    return drain(source, extract_request(table)).sort_by("id")


def values(table: pa.Table, column: str) -> list:
    return table.column(column).to_pylist()


def test_integers_keep_their_values_and_widen_to_iceberg_types(source, scratch):
    rows = roundtrip(
        source,
        scratch,
        "s smallint, i integer, b bigint",
        "-32768, -2147483648, -9223372036854775808",
        "32767, 7, 9223372036854775807",
    )

    assert rows.schema.field("s").type == pa.int32()
    assert rows.schema.field("i").type == pa.int64()
    assert values(rows, "s") == [-32768, 32767, None]
    assert values(rows, "b") == [-9223372036854775808, 9223372036854775807, None]


def test_numeric_keeps_precision_and_scale(source, scratch):
    rows = roundtrip(
        source,
        scratch,
        "n numeric(38, 10), m numeric(5, 2)",
        "1234567890123456789012345678.0123456789, -999.99",
    )

    assert rows.schema.field("n").type == pa.decimal128(38, 10)
    assert rows.schema.field("m").type == pa.decimal128(5, 2)
    assert values(rows, "n") == [Decimal("1234567890123456789012345678.0123456789"), None]
    assert values(rows, "m") == [Decimal("-999.99"), None]


def test_unconstrained_numeric_is_exact_text(source, scratch):
    rows = roundtrip(source, scratch, "n numeric", "123456789012345678901234567890123456789012.5", "'NaN'")

    assert rows.schema.field("n").type == pa.string()
    assert values(rows, "n") == ["123456789012345678901234567890123456789012.5", "NaN", None]


def test_floats_round_trip_exactly_including_special_values(source, scratch):
    rows = roundtrip(
        source,
        scratch,
        "r real, d double precision",
        "1.1, 0.1",
        "'Infinity', '-Infinity'",
        "3.4e38, 1.7976931348623157e308",
    )

    assert rows.schema.field("r").type == pa.float32()
    assert values(rows, "d") == [0.1, float("-inf"), 1.7976931348623157e308, None]
    assert values(rows, "r")[0] == pytest.approx(1.1, rel=1e-7)
    assert values(rows, "r")[1] == float("inf")


def test_booleans_round_trip(source, scratch):
    rows = roundtrip(source, scratch, "b boolean", "true", "false")

    assert values(rows, "b") == [True, False, None]


def test_text_keeps_empty_strings_commas_quotes_and_newlines_apart_from_null(source, scratch):
    rows = roundtrip(
        source,
        scratch,
        "t text, v varchar(20), c char(3)",
        "'', 'NULL', 'ab'",
        "E'a,\"b\"\\nc\\\\', 'é€😀', 'x'",
    )

    assert values(rows, "t") == ["", 'a,"b"\nc\\', None]
    assert values(rows, "v") == ["NULL", "é€😀", None]
    assert values(rows, "c") == ["ab ", "x  ", None]


def test_dates_times_and_timestamps_are_exact_to_the_microsecond_in_utc(source, scratch):
    rows = roundtrip(
        source,
        scratch,
        "d date, t time, ts timestamp, tz timestamptz",
        "'2026-02-03', '23:59:59.999999', '2026-02-03 04:05:06.123456', '2026-02-03 04:05:06.654321+05:30'",
        "'1970-01-01', '00:00:00', '1999-12-31 23:59:59', '2026-07-01 00:00:00-07'",
    )

    assert rows.schema.field("ts").type == pa.timestamp("us")
    assert rows.schema.field("tz").type == pa.timestamp("us", tz="UTC")
    assert values(rows, "d") == [dt.date(2026, 2, 3), dt.date(1970, 1, 1), None]
    assert values(rows, "t") == [dt.time(23, 59, 59, 999999), dt.time(0, 0), None]
    assert values(rows, "ts") == [
        dt.datetime(2026, 2, 3, 4, 5, 6, 123456),
        dt.datetime(1999, 12, 31, 23, 59, 59),
        None,
    ]
    assert [v and v.astimezone(dt.UTC).replace(tzinfo=None) for v in values(rows, "tz")] == [
        dt.datetime(2026, 2, 2, 22, 35, 6, 654321),
        dt.datetime(2026, 7, 1, 7, 0),
        None,
    ]


def test_intervals_become_microsecond_durations(source, scratch):
    rows = roundtrip(source, scratch, "i interval", "'1 day 02:03:04.5'", "'-90 seconds'", "'1 mon'")

    assert rows.schema.field("i").type == pa.duration("us")
    assert values(rows, "i") == [
        dt.timedelta(days=1, hours=2, minutes=3, seconds=4.5),
        dt.timedelta(seconds=-90),
        dt.timedelta(days=30),  # documented: a month counts as 30 days
        None,
    ]


def test_uuid_json_jsonb_and_enums_are_strings(source, scratch):
    mood = unique_name("mood")
    scratch.execute(f"CREATE TYPE {mood} AS ENUM ('sad', 'happy')")
    scratch.on_cleanup(f"DROP TYPE IF EXISTS {mood}")
    rows = roundtrip(
        source,
        scratch,
        f"u uuid, j json, jb jsonb, m {mood}",
        """'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50]}', '{"b": "x", "a": 1}', 'happy'""",
    )

    assert values(rows, "u") == ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", None]
    assert values(rows, "j") == ['{"a": [1, 2.50]}', None]  # json keeps its text as written
    assert values(rows, "jb") == ['{"a": 1, "b": "x"}', None]  # jsonb is normalised by the server
    assert values(rows, "m") == ["happy", None]


def test_bytea_is_binary(source, scratch):
    rows = roundtrip(source, scratch, "b bytea", r"'\x00ff10'::bytea", "''::bytea")

    assert rows.schema.field("b").type == pa.binary()
    assert values(rows, "b") == [b"\x00\xff\x10", b"", None]


def test_arrays_become_lists_of_the_element_type(source, scratch):
    rows = roundtrip(
        source,
        scratch,
        "i int[], t text[], n numeric(5,2)[], ts timestamptz[]",
        "ARRAY[1, NULL, 3], ARRAY['a', 'b,c', NULL, 'NULL', ''], ARRAY[1.50],"
        " ARRAY['2026-01-01 00:00:00+00'::timestamptz]",
        "'{}', '{}', NULL, NULL",
    )

    assert rows.schema.field("i").type == pa.list_(pa.int64())
    assert rows.schema.field("ts").type == pa.list_(pa.timestamp("us", tz="UTC"))
    assert values(rows, "i") == [[1, None, 3], [], None]
    assert values(rows, "t") == [["a", "b,c", None, "NULL", ""], [], None]
    assert values(rows, "n") == [[Decimal("1.50")], None, None]
    assert values(rows, "ts")[0][0] == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_an_unmapped_type_fails_naming_the_table_column_and_type(source, scratch):
    table = scratch.table("id int, p point", "INSERT INTO {t} VALUES (1, point(1, 2))")

    with pytest.raises(PermanentSourceError) as failure:
        drain(source, extract_request(table))

    message = str(failure.value)
    assert not message.startswith("acme.db.")  # the ingestion step adds the label, once
    assert f"{table}.p" in message
    assert "has type point" in message


def test_an_empty_table_yields_no_rows(source, scratch):
    table = scratch.table("id int, name text")

    assert drain(source, extract_request(table)).num_rows == 0
