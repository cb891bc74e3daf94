"""Shared Arrow helpers for cursors: lenient casts and window masks."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from atlas_assets.connectors.arrow import UTC_TIMESTAMP, cursor_mask, lenient_cast

JAN_2 = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
JAN_3 = dt.datetime(2026, 1, 3, tzinfo=dt.UTC)


def test_lenient_cast_nulls_only_the_values_that_do_not_convert() -> None:
    values = pa.array(["1", "two", "3", None, "4x"])

    assert lenient_cast(values, pa.int64()).to_pylist() == [1, None, 3, None, None]


def test_lenient_cast_takes_naive_times_as_utc_and_converts_zoned_ones() -> None:
    values = pa.array(["2026-01-02 10:00:00", "2026-01-02T10:00:00+02:00", "2026-01-02"])

    assert lenient_cast(values, UTC_TIMESTAMP).to_pylist() == [
        dt.datetime(2026, 1, 2, 10, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, 8, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
    ]


def test_cursor_mask_is_half_open_and_keeps_null_cursors() -> None:
    cursor = pa.array([dt.date(2026, 1, 1), dt.date(2026, 1, 2), None, dt.date(2026, 1, 3)])

    assert cursor_mask(cursor, start=JAN_2, end=JAN_3).to_pylist() == [False, True, True, False]


def test_cursor_mask_compares_naive_timestamps_as_utc() -> None:
    cursor = pa.array([dt.datetime(2026, 1, 1, 23, 59), dt.datetime(2026, 1, 2, 0, 0)], pa.timestamp("us"))

    assert cursor_mask(cursor, start=JAN_2, end=JAN_3).to_pylist() == [False, True]


def test_cursor_mask_after_a_number_compares_numbers() -> None:
    assert cursor_mask(pa.array([8, 9, 10]), after=9).to_pylist() == [False, False, True]
