"""Helpers for database-source tests: scratch tables on the real servers, requests, draining extracts."""

from __future__ import annotations

import uuid
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from atlas_assets.config.objects import ObjectConfig
from atlas_assets.connectors.contract import ExtractRequest, SourceConnector, TimeWindow
from atlas_assets.connectors.sql.mysql.resource import MysqlResource
from atlas_assets.connectors.sql.postgres.resource import PostgresResource
from atlas_assets.connectors.sql.server import ServerSqlResource


def unique_name(prefix: str = "t") -> str:
    """A table name no other test (or xdist worker) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class Scratch:
    """A database the test may create tables in; everything it created is dropped afterwards."""

    def __init__(self, url: str):
        self.url = url
        self.engine = sa.create_engine(url)
        self._drops: list[str] = []

    def execute(self, *statements: str, params: dict[str, Any] | None = None) -> None:
        with self.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement, params or {})

    def scalar(self, sql: str) -> Any:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(sql).scalar()

    def table(self, ddl_body: str, *inserts: str, prefix: str = "t") -> str:
        """Create `CREATE TABLE <name> (<ddl_body>)`, run `inserts` (with `{t}` for the name); the name."""
        name = unique_name(prefix)
        self.execute(f"CREATE TABLE {name} ({ddl_body})")
        self._drops.append(f"DROP TABLE IF EXISTS {name}")
        self.execute(*(statement.replace("{t}", name) for statement in inserts))
        return name

    def on_cleanup(self, statement: str) -> None:
        self._drops.append(statement)

    def close(self) -> None:
        for statement in reversed(self._drops):
            self.execute(statement)
        self.engine.dispose()


def extract_request(name: str, batch_size: int = 50_000, **config: Any) -> ExtractRequest:
    """An extract request of object `name` (tenant `acme`, source `db`)."""
    window = config.pop("window", None)
    after = config.pop("after", None)
    return ExtractRequest(
        tenant="acme",
        source="db",
        object_name=name,
        config=ObjectConfig(**config),
        window=window,
        after=after,
        batch_size=batch_size,
    )


def window(start: str, end: str) -> TimeWindow:
    """A UTC window from ISO datetimes."""
    import datetime as dt

    return TimeWindow(
        dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC),
        dt.datetime.fromisoformat(end).replace(tzinfo=dt.UTC),
    )


def drain(connector: SourceConnector, req: ExtractRequest) -> pa.Table:
    """Every batch of an extract, as one table (empty when there were none)."""
    batches = list(connector.extract(req))
    return pa.Table.from_batches(batches) if batches else pa.table({})


class ServerDialect:
    """What differs between the database servers in tests: DDL types, sleeping, killing a session."""

    name: str
    timestamp_type: str
    resource_class: type[ServerSqlResource]

    def __init__(self, url: str, **resource_options: Any):
        self.url = url
        self.resource_options = resource_options

    def resource(self, **overrides: Any) -> ServerSqlResource:
        return self.resource_class(**{"url": self.url, **self.resource_options, **overrides})

    def sleep_query(self, seconds: float) -> str:
        raise NotImplementedError

    def fill_sql(self, table: str, rows: int) -> str:
        """Server-side INSERT of `rows` rows `(n, 100 chars)` into a `(id int, pad varchar(100))` table."""
        raise NotImplementedError

    def quote(self, identifier: str) -> str:
        """`identifier` quoted by hand, for test DDL (the code under test quotes through SQLAlchemy)."""
        raise NotImplementedError

    def kill_session_running(self, scratch: Scratch, marker: str) -> int:
        """End (from another connection) every session whose current statement mentions `marker`."""
        raise NotImplementedError

    def create_schema(self, scratch: Scratch, name: str) -> None:
        scratch.execute(f"CREATE SCHEMA {name}")
        scratch.on_cleanup(
            f"DROP SCHEMA IF EXISTS {name} CASCADE" if self.name == "postgres" else f"DROP SCHEMA {name}"
        )


class Postgres(ServerDialect):
    name = "postgres"
    timestamp_type = "timestamp"
    resource_class = PostgresResource

    def sleep_query(self, seconds: float) -> str:
        return f"SELECT 1 AS id FROM pg_sleep({seconds})"

    def fill_sql(self, table: str, rows: int) -> str:
        return f"INSERT INTO {table} SELECT g, repeat('x', 100) FROM generate_series(1, {rows}) g"

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def kill_session_running(self, scratch: Scratch, marker: str) -> int:
        # A named cursor's session shows `FETCH ...`, not the table: find it by its lock on the table.
        return scratch.scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
            f"AND pid IN (SELECT pid FROM pg_locks WHERE relation = '{marker}'::regclass)"
        )


class Mysql(ServerDialect):
    name = "mysql"
    timestamp_type = "datetime(6)"
    resource_class = MysqlResource

    def sleep_query(self, seconds: float) -> str:
        return f"SELECT 1 AS id, SLEEP({seconds}) AS slept"

    def fill_sql(self, table: str, rows: int) -> str:
        # seq_1_to_N: MariaDB's Sequence engine.
        return f"INSERT INTO {table} SELECT seq, repeat('x', 100) FROM seq_1_to_{rows}"

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def kill_session_running(self, scratch: Scratch, marker: str) -> int:
        with scratch.engine.connect() as conn:
            ids = conn.exec_driver_sql(
                "SELECT id FROM information_schema.processlist "
                f"WHERE info LIKE 'SELECT %%{marker}%%' AND id <> CONNECTION_ID() "
                "AND info NOT LIKE '%%processlist%%'"
            ).scalars()
            killed = 0
            for session in list(ids):
                conn.exec_driver_sql(f"KILL {int(session)}")
                killed += 1
        return killed
