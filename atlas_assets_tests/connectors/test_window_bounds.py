"""One conversion of window bounds into the cursor's representation, for every system that stores it."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
import sqlalchemy as sa
from pyiceberg import types as iceberg

from atlas_assets.connectors.window_bounds import (
    CursorBoundError,
    CursorStorage,
    arrow_storage,
    iceberg_storage,
    sql_storage,
    window_bound,
)

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("arrow_type", "sql_type", "iceberg_type", "storage"),
    [
        (pa.timestamp("us", tz="UTC"), sa.DateTime(timezone=True), iceberg.TimestamptzType(), "TIMESTAMPTZ"),
        (pa.timestamp("us"), sa.DateTime(), iceberg.TimestampType(), "TIMESTAMP"),
        (pa.date32(), sa.Date(), iceberg.DateType(), "DATE"),
        (pa.int64(), sa.BigInteger(), iceberg.LongType(), "INTEGER"),
        (pa.string(), sa.Text(), iceberg.StringType(), "TEXT"),
    ],
)
def test_arrow_sql_and_iceberg_types_name_the_same_storage(arrow_type, sql_type, iceberg_type, storage):
    assert (
        arrow_storage(arrow_type)
        is sql_storage(sql_type)
        is iceberg_storage(iceberg_type)
        is CursorStorage[storage]
    )


def test_a_date_bound_is_the_first_midnight_at_or_after_it():
    # A 2h lookback window: the previous day's date lies before its start, so it is not in it.
    assert window_bound(CursorStorage.DATE, at("2026-01-01T22:00:00"), None, "start") == dt.date(2026, 1, 2)
    assert window_bound(CursorStorage.DATE, at("2026-01-02T00:00:00"), None, "end") == dt.date(2026, 1, 2)


def test_an_epoch_bound_is_the_first_whole_unit_at_or_after_it():
    bound = at("2026-01-02T00:00:00.000500")
    assert window_bound(CursorStorage.INTEGER, bound, "epoch_millis", "start") == 1767312000001
    assert window_bound(CursorStorage.INTEGER, bound, "epoch_seconds", "start") == 1767312001
    assert (
        window_bound(CursorStorage.INTEGER, at("2026-01-02T00:00:00"), "epoch_seconds", "end") == 1767312000
    )


def test_a_text_bound_covers_every_zone_offset_of_the_window():
    start, end = at("2026-01-02T00:00:00"), at("2026-01-02T10:00:00")
    assert window_bound(CursorStorage.TEXT, start, "iso8601", "start") == "2026-01-01"
    assert window_bound(CursorStorage.TEXT, end, None, "end") == "2026-01-04"
    # The latest instant before the end, written at +14:00, still sorts below the covering bound.
    assert (end - dt.timedelta(microseconds=1)).astimezone(
        dt.timezone(dt.timedelta(hours=14))
    ).isoformat() < "2026-01-04"


def test_bounds_keep_their_instant_in_timestamp_storage():
    bound = dt.datetime(2026, 1, 2, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert window_bound(CursorStorage.TIMESTAMPTZ, bound, None, "start") == at("2026-01-02T00:00:00")
    assert window_bound(CursorStorage.TIMESTAMP, bound, None, "start") == dt.datetime(2026, 1, 2)


@pytest.mark.parametrize(
    ("storage", "cursor_format", "message"),
    [
        (
            CursorStorage.INTEGER,
            None,
            "an integer cursor needs `cursor_format: epoch_seconds` or `epoch_millis`",
        ),
        (CursorStorage.TEXT, "epoch_seconds", "a text cursor does not sort as epoch_seconds numbers"),
        (None, None, "holds no date or time"),
    ],
)
def test_a_cursor_that_cannot_hold_the_window_says_why(storage, cursor_format, message):
    with pytest.raises(CursorBoundError, match=message):
        window_bound(storage, at("2026-01-02T00:00:00"), cursor_format, "start")
