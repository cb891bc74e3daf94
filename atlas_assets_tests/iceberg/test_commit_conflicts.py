"""Concurrent writers: a commit that loses the race is rebuilt on the new table state and retried."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.expressions import EqualTo

from atlas_assets.config.objects import WriteMode
from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.iceberg.commit_retry import CommitConflictError, with_commit_retries
from atlas_assets.iceberg.table_writer import TableWriter
from atlas_assets.iceberg.write_plan import WritePlan
from atlas_assets.ingest.lineage_columns import LineageValues

UTC = dt.UTC


def _plan(day: int, run_id: str) -> WritePlan:
    start = dt.datetime(2026, 1, day, tzinfo=UTC)
    return WritePlan(
        namespace="demo",
        table="events",
        label="demo.events",
        mode=WriteMode.PARTITION_OVERWRITE,
        lineage=LineageValues("demo", "test", run_id, dt.datetime(2026, 2, 1, tzinfo=UTC)),
        cursor="at",
        primary_key=("id",),
        window=TimeWindow(start, start + dt.timedelta(days=1)),
    )


def _rows(day: int, ids: range) -> pa.RecordBatch:
    at = [dt.datetime(2026, 1, day, 12) for _ in ids]
    return pa.RecordBatch.from_pydict({"id": list(ids), "at": pa.array(at, pa.timestamp("us"))})


def test_a_writer_that_loses_the_commit_race_retries_and_both_writes_survive(tmp_path):
    catalog = SqlCatalog("t", uri=f"sqlite:///{tmp_path}/c.db", warehouse=f"file://{tmp_path}/wh")
    writer = TableWriter(catalog, target_file_bytes=1 << 20)
    writer.write(_plan(1, "seed"), lambda _after: [_rows(1, range(0, 5))])

    def slow_run(_after):
        yield _rows(2, range(100, 110))
        # Another run commits day 3 while this one is still writing: its staged commit is now stale.
        writer.write(_plan(3, "racer"), lambda _a: [_rows(3, range(200, 203))])
        yield _rows(2, range(110, 120))

    report = writer.write(_plan(2, "slow"), slow_run)

    table = catalog.load_table(("demo", "events"))
    ids = sorted(table.scan().to_arrow().column("id").to_pylist())
    assert ids == [*range(0, 5), *range(100, 120), *range(200, 203)]
    assert report.rows_written == 20
    assert len(table.history()) >= 3


def test_when_two_runs_race_on_the_same_window_the_last_commit_wins_without_duplicates(tmp_path):
    catalog = SqlCatalog("t", uri=f"sqlite:///{tmp_path}/c.db", warehouse=f"file://{tmp_path}/wh")
    writer = TableWriter(catalog, target_file_bytes=1 << 20)
    writer.write(_plan(2, "seed"), lambda _after: [_rows(2, range(0, 5))])

    def slow_run(_after):
        yield _rows(2, range(100, 110))
        writer.write(_plan(2, "racer"), lambda _a: [_rows(2, range(200, 203))])

    writer.write(_plan(2, "slow"), slow_run)

    ids = sorted(catalog.load_table(("demo", "events")).scan().to_arrow().column("id").to_pylist())
    assert ids == list(range(100, 110))


def test_a_delete_on_a_stale_table_is_retried_on_the_refreshed_table(tmp_path):
    catalog = SqlCatalog("t", uri=f"sqlite:///{tmp_path}/c.db", warehouse=f"file://{tmp_path}/wh")
    writer = TableWriter(catalog, target_file_bytes=1 << 20)
    writer.write(_plan(1, "seed"), lambda _after: [_rows(1, range(0, 5))])
    stale = catalog.load_table(("demo", "events"))
    writer.write(_plan(2, "racer"), lambda _after: [_rows(2, range(100, 103))])
    tables = [stale]

    def attempt() -> None:
        table = tables.pop() if tables else catalog.load_table(("demo", "events"))
        table.delete(EqualTo("id", 3))

    with_commit_retries(attempt, "demo.events")

    ids = sorted(catalog.load_table(("demo", "events")).scan().to_arrow().column("id").to_pylist())
    assert ids == [0, 1, 2, 4, 100, 101, 102]


def test_a_commit_that_keeps_losing_gives_up_naming_the_table():
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise CommitFailedException("Table has been updated by another process")

    with pytest.raises(CommitConflictError, match=r"demo\.events: gave up after 3 conflicting commits"):
        with_commit_retries(attempt, "demo.events", attempts=3)
    assert len(calls) == 3


def test_an_error_that_is_not_a_conflict_fails_at_once():
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise PermissionError("warehouse is read-only")

    with pytest.raises(PermissionError, match="read-only"):
        with_commit_retries(attempt, "demo.events")
    assert len(calls) == 1
