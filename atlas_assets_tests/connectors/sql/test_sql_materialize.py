"""End to end: PostgreSQL and MariaDB objects materialized into Iceberg through Dagster.

Incremental windows with late rows, upserts, id appends across runs, and a connection dropped
mid-stream that the retry policy recovers from with exact counts.
"""

from __future__ import annotations

import threading
import time

import dagster as dg
import pyarrow.compute as pc
import pytest

from atlas_assets_tests.harness import platform
from atlas_assets_tests.sql_support import Mysql, Postgres, Scratch, ServerDialect

ORDERS = "id int primary key, status varchar(20), updated_at {ts}"


@pytest.fixture(params=["postgres", "mysql"])
def dialect(request) -> ServerDialect:
    if request.param == "postgres":
        return Postgres(request.getfixturevalue("pg_url"))
    return Mysql(request.getfixturevalue("mysql_url"))


@pytest.fixture
def scratch(dialect):
    scratch = Scratch(dialect.url)
    yield scratch
    scratch.close()


def runner_body(dialect: ServerDialect, objects: str, retries: int = 0) -> str:
    """A `tenants:` section: tenant `acme`, source `db` of the dialect's kind over the test server."""
    lines = "\n".join(f"          {line}" for line in objects.strip().splitlines())
    return f"""
    tenants:
      acme:
        sources:
          db:
            kind: {dialect.name}
            url: "{dialect.url}"
            retry: {{max_retries: {retries}, delay_seconds: 0}}
            objects:
    {lines}
    """


def iceberg_ids(atlas, name: str = "db__orders") -> list[int]:
    return sorted(atlas.table(name, namespace="acme").column("id").to_pylist())


def test_a_partition_lands_in_iceberg_and_lookback_picks_up_late_rows(tmp_path, dialect, scratch):
    table = scratch.table(
        ORDERS.format(ts=dialect.timestamp_type),
        "INSERT INTO {t} VALUES (1, 'a', '2026-01-01 10:00:00'), (2, 'b', '2026-01-02 01:00:00'),"
        " (3, 'c', '2026-01-02 23:59:59.999999'), (4, 'd', '2026-01-03 00:00:00')",
    )
    atlas = platform(
        tmp_path,
        runner_body(
            dialect, f"orders: {{table: {table}, cursor: updated_at, primary_key: [id], lookback: 6h}}"
        ),
    )
    atlas.materialize("acme/db/orders", partition="2026-01-02")
    assert iceberg_ids(atlas) == [2, 3]
    # A row for 2026-01-02 21:00 arrives after that day ran.
    scratch.execute(f"INSERT INTO {table} VALUES (5, 'late', '2026-01-02 21:00:00')")

    atlas.materialize("acme/db/orders", partition="2026-01-03")

    assert iceberg_ids(atlas) == [2, 3, 4, 5]


def test_upsert_merges_changed_rows_on_the_primary_key(tmp_path, dialect, scratch):
    table = scratch.table(
        ORDERS.format(ts=dialect.timestamp_type),
        "INSERT INTO {t} VALUES (1, 'new', '2026-01-01 10:00:00'), (2, 'new', '2026-01-01 11:00:00')",
    )
    objects = f"orders: {{table: {table}, cursor: updated_at, primary_key: [id], write: upsert}}"
    atlas = platform(tmp_path, runner_body(dialect, objects))
    atlas.materialize("acme/db/orders", partition="2026-01-01")
    scratch.execute(
        f"UPDATE {table} SET status = 'paid', updated_at = '2026-01-02 09:00:00' WHERE id = 2",
        f"INSERT INTO {table} VALUES (3, 'new', '2026-01-02 10:00:00')",
    )

    atlas.materialize("acme/db/orders", partition="2026-01-02")
    atlas.materialize("acme/db/orders", partition="2026-01-02")

    rows = atlas.table("db__orders", namespace="acme").sort_by("id")
    assert rows.column("id").to_pylist() == [1, 2, 3]
    assert rows.column("status").to_pylist() == ["new", "paid", "new"]


def test_id_append_adds_only_new_rows_across_runs(tmp_path, dialect, scratch):
    table = scratch.table("id int primary key, note varchar(10)", "INSERT INTO {t} VALUES (1, 'a'), (2, 'b')")
    atlas = platform(tmp_path, runner_body(dialect, f"orders: {{table: {table}, cursor: id, write: append}}"))
    atlas.materialize("acme/db/orders")
    scratch.execute(f"INSERT INTO {table} VALUES (3, 'c'), (10, 'd')")

    atlas.materialize("acme/db/orders")
    atlas.materialize("acme/db/orders")

    assert iceberg_ids(atlas) == [1, 2, 3, 10]


def test_a_connection_dropped_mid_stream_is_retried_and_leaves_exact_rows(tmp_path, dialect, scratch):
    rows = 300_000
    table = scratch.table("id int primary key, pad varchar(100)")
    scratch.execute(dialect.fill_sql(table, rows=rows))
    objects = f"orders: {{table: {table}, cursor: id, write: append, batch_size: 2000}}"
    atlas = platform(tmp_path, runner_body(dialect, objects, retries=2))
    killer = SessionKiller(dialect, scratch, table)

    killer.start()
    result = atlas.materialize("acme/db/orders", raise_on_error=False)
    killer.join()

    assert killer.killed == 1, "the extract finished before its connection could be dropped"
    assert result.success
    retries = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert len(retries) == 1
    written = atlas.table("db__orders", namespace="acme").column("id")
    assert len(written) == rows
    assert pc.count_distinct(written).as_py() == rows


class SessionKiller(threading.Thread):
    """Ends, once, the first server session found reading `table` (within 60 s)."""

    def __init__(self, dialect: ServerDialect, scratch: Scratch, table: str):
        super().__init__(daemon=True)
        self.dialect, self.scratch, self.table = dialect, scratch, table
        self.killed = 0

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while not self.killed and time.monotonic() < deadline:
            self.killed = self.dialect.kill_session_running(self.scratch, self.table)
            time.sleep(0.005)
