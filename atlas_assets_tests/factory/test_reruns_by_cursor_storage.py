"""Re-running a partition leaves exactly its rows, whatever type stores the cursor, on every source kind.

Each case puts 12 rows on each of two adjacent days (one at midnight), materializes both days,
re-runs each three times, and after every run checks the whole Iceberg table and what a
downstream asset reads for that partition through the IO manager.
"""

# No `from __future__ import annotations`: Dagster reads the asset's `context` annotation.
import csv
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pytest
import yaml

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets.factory.partitions import shared_partitions_def
from atlas_assets_tests.connectors.http.api_server import ApiServer, json_reply
from atlas_assets_tests.harness import Platform, write_runner
from atlas_assets_tests.services import (
    DEFAULT_MYSQL_URL,
    DEFAULT_PG_URL,
    MYSQL_URL_VAR,
    PG_URL_VAR,
    service_url,
)
from atlas_assets_tests.sql_support import Scratch

DAYS = ("2026-01-01", "2026-01-02")
PER_DAY = 12
EVENTS = "demo/src/events"
TABLE = "src__events"


def _instants(day: int) -> list[tuple[int, dt.datetime]]:
    """(id, instant) of one day's rows: every two hours from midnight UTC."""
    start = dt.datetime(2026, 1, 1 + day, tzinfo=dt.UTC)
    return [(day * PER_DAY + i, start + dt.timedelta(hours=2 * i)) for i in range(PER_DAY)]


ROWS = [row for day in range(len(DAYS)) for row in _instants(day)]
EXPECTED = {key: [i for i, _ in _instants(day)] for day, key in enumerate(DAYS)}


@dataclass(frozen=True)
class Storage:
    """How a case stores the cursor: the value for an instant, per-dialect column types, its format."""

    name: str
    encode: Callable[[dt.datetime], Any]
    sql_types: dict[str, str]
    cursor_format: str | None = None


STORAGES = {
    s.name: s
    for s in (
        Storage(
            "text",
            lambda t: t.strftime("%Y-%m-%d %H:%M:%S"),
            {"sqlite": "TEXT", "postgres": "TEXT", "mysql": "VARCHAR(40)"},
        ),
        Storage(
            "iso_t",
            lambda t: t.strftime("%Y-%m-%dT%H:%M:%S"),
            {"sqlite": "TEXT", "postgres": "TEXT", "mysql": "VARCHAR(40)"},
        ),
        Storage(
            "iso_offset",  # the same instants written in a +02:00 zone
            lambda t: t.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat(),
            {"sqlite": "TEXT", "postgres": "TEXT"},
        ),
        Storage(
            "epoch_seconds",
            lambda t: int(t.timestamp()),
            {"sqlite": "INTEGER", "postgres": "BIGINT", "mysql": "BIGINT"},
            "epoch_seconds",
        ),
        Storage(
            "epoch_millis",
            lambda t: int(t.timestamp() * 1000),
            {"sqlite": "INTEGER", "postgres": "BIGINT", "mysql": "BIGINT"},
            "epoch_millis",
        ),
        Storage(
            "timestamp",
            lambda t: t.replace(tzinfo=None),
            {"sqlite": "DATETIME", "postgres": "TIMESTAMP", "mysql": "DATETIME(6)"},
        ),
        Storage("timestamptz", lambda t: t, {"postgres": "TIMESTAMPTZ"}),
        Storage("date", lambda t: t.date(), {"sqlite": "DATE", "postgres": "DATE", "mysql": "DATE"}),
    )
}

# Files and APIs carry text and numbers only: a native timestamp is the ISO text case.
FILE_STORAGES = ("text", "iso_t", "iso_offset", "epoch_seconds", "epoch_millis", "date")


SourceFactory = Callable[[Path, Storage], AbstractContextManager[str]]
"""Builds a source holding `ROWS` with the cursor in the given storage; yields its `tenants:` body."""


def _object(storage: Storage, **extra: Any) -> dict[str, Any]:
    config = {"cursor": "created_at", "primary_key": ["id"], **extra}
    if storage.cursor_format:
        config["cursor_format"] = storage.cursor_format
    return config


def _body(source: dict[str, Any]) -> str:
    # Only the rows matter here: no PII scan (Presidio would dominate the run time).
    tenant = {"pii_scan": {"on_undeclared": "ignore"}, "sources": {"src": source}}
    return yaml.safe_dump({"tenants": {"demo": tenant}}, sort_keys=False)


@contextmanager
def _sqlite_source(tmp_path: Path, storage: Storage) -> Iterator[str]:
    scratch = Scratch(f"sqlite:///{tmp_path}/src.db")
    # SQLite keeps a datetime as the text SQLAlchemy writes; the driver's own adapters are deprecated.
    as_text = {
        "timestamp": lambda t: t.replace(tzinfo=None).isoformat(" "),
        "date": lambda t: t.date().isoformat(),
    }
    encode = as_text.get(storage.name, storage.encode)
    table = scratch.table(f"id INTEGER PRIMARY KEY, created_at {storage.sql_types['sqlite']}")
    _insert(scratch, table, [(i, encode(t)) for i, t in ROWS], "?")
    try:
        yield _body({"kind": "sql", "url": scratch.url, "objects": {"events": _object(storage, table=table)}})
    finally:
        scratch.close()


def _server_source(kind: str, url_var: str, default_url: str) -> SourceFactory:
    @contextmanager
    def source(_tmp_path: Path, storage: Storage) -> Iterator[str]:
        scratch = Scratch(service_url(url_var, default_url))
        try:
            table = scratch.table(f"id INTEGER PRIMARY KEY, created_at {storage.sql_types[kind]}")
            _insert(scratch, table, [(i, storage.encode(t)) for i, t in ROWS], "%s")
            objects = {"events": _object(storage, table=table)}
            yield _body({"kind": kind, "url": scratch.url, "objects": objects})
        finally:
            scratch.close()

    return source


def _insert(scratch: Scratch, table: str, rows: list[tuple[int, Any]], marker: str) -> None:
    with scratch.engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO {table} (id, created_at) VALUES ({marker}, {marker})", rows)


@contextmanager
def _csv_source(tmp_path: Path, storage: Storage) -> Iterator[str]:
    folder = tmp_path / "files"
    folder.mkdir()
    with (folder / "events.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "created_at"])
        writer.writerows((i, _text(storage.encode(t))) for i, t in ROWS)
    yield _body({"kind": "csv", "path": str(folder), "objects": {"events": _object(storage)}})


@contextmanager
def _rest_source(_tmp_path: Path, storage: Storage) -> Iterator[str]:
    records = [{"id": i, "created_at": _json(storage.encode(t))} for i, t in ROWS]
    with ApiServer() as api:
        api.route("/events", lambda _request: json_reply(records))
        yield _body({"kind": "rest", "base_url": api.url, "objects": {"events": _object(storage)}})


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _json(value: Any) -> Any:
    return value if isinstance(value, int) else _text(value)


SOURCES: dict[str, SourceFactory] = {
    "sqlite": _sqlite_source,
    "postgres": _server_source("postgres", PG_URL_VAR, DEFAULT_PG_URL),
    "mysql": _server_source("mysql", MYSQL_URL_VAR, DEFAULT_MYSQL_URL),
    "csv": _csv_source,
    "rest": _rest_source,
}
CASES = [
    (kind, name)
    for kind in SOURCES
    for name, storage in STORAGES.items()
    if (kind in storage.sql_types) or (kind in ("csv", "rest") and name in FILE_STORAGES)
]


def _platform_with_reader(root: Path, body: str) -> tuple[Platform, dict[str, list[int]]]:
    """The source's definitions plus a downstream asset that records the ids it reads per partition."""
    config, specs = load_runner_config(write_runner(root, body))
    seen: dict[str, list[int]] = {}

    @dg.asset(
        key=["demo", "reports", "events_read"],
        ins={"events": dg.AssetIn(key=dg.AssetKey.from_user_string(EVENTS))},
        partitions_def=shared_partitions_def(specs[0].partitions),
        io_manager_key="iceberg_io_manager",
    )
    def events_read(context: dg.AssetExecutionContext, events: pa.Table) -> pa.Table:
        seen[context.partition_key] = sorted(events.column("id").to_pylist())
        return pa.table({"rows": [events.num_rows]})

    defs = dg.Definitions.merge(build_definitions(config, specs), dg.Definitions(assets=[events_read]))
    return Platform(root, defs, dg.DagsterInstance.ephemeral()), seen


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "storage"), CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_rerunning_adjacent_days_leaves_exactly_each_days_rows(tmp_path, kind, storage):
    with SOURCES[kind](tmp_path, STORAGES[storage]) as body:
        atlas, seen = _platform_with_reader(tmp_path, body)
        written: list[int] = []

        for round_ in range(4):  # the first materializes each day, the next three re-run it
            for day in DAYS:
                atlas.materialize(EVENTS, "demo/reports/events_read", partition=day)

                if round_ == 0:
                    written += EXPECTED[day]
                assert seen.pop(day) == EXPECTED[day], f"round {round_}, {day}: downstream read"
                assert sorted(atlas.table(TABLE).column("id").to_pylist()) == written, (
                    f"round {round_}, {day}"
                )
        assert not atlas.catalog.table_exists(("demo", f"{TABLE}__quarantine"))


def _failure(result: dg.ExecuteInProcessResult) -> str:
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data
    assert failure.user_failure_data is not None, failure.error
    return failure.user_failure_data.description or ""


def _sqlite_events(tmp_path: Path, column_type: str, values: list[Any], **config: Any) -> Platform:
    scratch = Scratch(f"sqlite:///{tmp_path}/src.db")
    table = scratch.table(f"id INTEGER PRIMARY KEY, created_at {column_type}")
    _insert(scratch, table, list(enumerate(values)), "?")
    scratch.engine.dispose()
    objects = {"events": {"cursor": "created_at", "table": table, **config}}
    return _platform_with_reader(tmp_path, _body({"kind": "sql", "url": scratch.url, "objects": objects}))[0]


def test_a_text_cursor_value_that_is_no_time_fails_the_run_naming_object_column_and_value(tmp_path):
    atlas = _sqlite_events(tmp_path, "TEXT", ["2026-01-02 10:00:00", "2026-01-02 at noon"])

    result = atlas.materialize(EVENTS, partition="2026-01-02", raise_on_error=False)

    assert not result.success
    message = _failure(result)
    assert message.startswith("demo.src.events: cursor 'created_at' holds '2026-01-02 at noon'")
    assert "not an ISO 8601 date or time" in message
    assert not atlas.catalog.table_exists(("demo", TABLE))


def test_a_text_cursor_spelled_outside_iso_8601_fails_the_run_instead_of_never_being_read(tmp_path):
    # '01/02/2026' sorts before every ISO bound, so no covering range would ever read its row.
    atlas = _sqlite_events(tmp_path, "TEXT", ["2026-01-02 10:00:00", "01/02/2026 12:00"])

    result = atlas.materialize(EVENTS, partition="2026-01-02", raise_on_error=False)

    assert not result.success
    assert _failure(result).startswith("demo.src.events: cursor 'created_at' holds '01/02/2026 12:00'")


def test_an_integer_cursor_without_cursor_format_fails_the_run_asking_for_one(tmp_path):
    atlas = _sqlite_events(tmp_path, "INTEGER", [1767348000])

    result = atlas.materialize(EVENTS, partition="2026-01-02", raise_on_error=False)

    assert not result.success
    message = _failure(result)
    assert message.startswith("demo.src.events: cursor ")
    assert "created_at (INTEGER)" in message
    assert "needs `cursor_format: epoch_seconds` or `epoch_millis`" in message


def test_an_unknown_cursor_format_is_a_load_error_naming_its_path(tmp_path):
    body = _body(
        {
            "kind": "sql",
            "url": "sqlite:///x.db",
            "objects": {"events": {"cursor": "c", "cursor_format": "unix"}},
        }
    )

    with pytest.raises(
        RunnerConfigError, match=r"tenants\.demo\.sources\.src\.objects\.events\.cursor_format"
    ):
        load_runner_config(write_runner(tmp_path, body))


def test_a_windowed_cursor_declared_as_a_non_time_type_is_a_load_error_naming_its_path(tmp_path):
    events = {"cursor": "created_at", "column_types": {"created_at": "string"}}
    body = _body({"kind": "sql", "url": "sqlite:///x.db", "objects": {"events": events}})

    with pytest.raises(RunnerConfigError) as raised:
        load_runner_config(write_runner(tmp_path, body))

    message = str(raised.value)
    assert "tenants.demo.sources.src.objects.events.column_types.created_at" in message
    assert "cursor 'created_at' places rows in time windows, so it cannot be declared 'string'" in message
