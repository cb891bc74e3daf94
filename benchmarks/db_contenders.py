"""What the database benchmark measures, one function per contender; each returns the rows it moved.

Every contender runs in its own process (see db_ingest.py), so peak RSS is its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from atlas_assets_tests.runner_yaml import write_runner
from benchmarks.db_tables import TABLE

Contender = Callable[[str, int, Path], int]


def table_slice(rows: int) -> str:
    """The query every contender reads: the first `rows` of the benchmark table."""
    return f"SELECT * FROM {TABLE} WHERE id <= {int(rows)}"


def postgres_copy_to_devnull(url: str, rows: int, workdir: Path) -> int:
    """The physical limit: the server's own CSV COPY of the SELECT, written to /dev/null."""
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, open("/dev/null", "wb") as sink:
            cursor.copy_expert(f"COPY ({table_slice(rows)}) TO STDOUT WITH (FORMAT csv)", sink)
            return cursor.rowcount
    finally:
        raw.close()


def mysql_cursor_drain(url: str, rows: int, workdir: Path) -> int:
    """The physical limit on MySQL: PyMySQL's unbuffered cursor, drained, default conversions."""
    import pymysql.cursors

    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    count = 0
    try:
        with raw.cursor(pymysql.cursors.SSCursor) as cursor:
            cursor.execute(table_slice(rows))
            while batch := cursor.fetchmany(50_000):
                count += len(batch)
        return count
    finally:
        raw.close()


def pandas_read_sql_to_parquet(url: str, rows: int, workdir: Path) -> int:
    """What users write by hand: `pandas.read_sql` of the table, then `DataFrame.to_parquet`."""
    import pandas as pd

    engine = sa.create_engine(url)
    frame = pd.read_sql(table_slice(rows), engine)
    frame.to_parquet(workdir / "pandas.parquet")
    return len(frame)


def _connector(url: str, **options: object):
    from atlas_assets.connectors.sql.mysql.resource import MysqlResource
    from atlas_assets.connectors.sql.postgres.resource import PostgresResource

    cls = PostgresResource if url.startswith("postgres") else MysqlResource
    return cls(url=url, **options)


def _drain(url: str, rows: int, **options: object) -> int:
    from atlas_assets.config.objects import ObjectConfig
    from atlas_assets.connectors.contract import ExtractRequest

    source = _connector(url, **options)
    config = ObjectConfig(query=table_slice(rows))
    request = ExtractRequest(tenant="bench", source="db", object_name="orders", config=config)
    try:
        return sum(batch.num_rows for batch in source.extract(request))
    finally:
        source.dispose()


def ours_extract(url: str, rows: int, workdir: Path) -> int:
    """Our connector's `extract()` drained into nothing (PostgreSQL: COPY path; MySQL: connectorx)."""
    return _drain(url, rows)


def ours_extract_named_cursor(url: str, rows: int, workdir: Path) -> int:
    """Our PostgreSQL connector on its named server-side cursor path, drained."""
    return _drain(url, rows, extract_method="cursor")


def ours_materialize(url: str, rows: int, workdir: Path) -> int:
    """Our asset materialized into Iceberg through Dagster (`write: replace`, embedded SQLite catalog)."""
    return _materialize(url, rows, workdir, checks=True)


def ours_materialize_without_checks(url: str, rows: int, workdir: Path) -> int:
    """As `ours_materialize` with the quality and PII checks switched off: ingest alone."""
    return _materialize(url, rows, workdir, checks=False)


def runner_for(workdir: Path, url: str, rows: int, checks: bool) -> Path:
    """runner.yaml of tenant `bench` reading the first `rows` of the table (`write: replace`)."""
    kind = "postgres" if url.startswith("postgres") else "mysql"
    options = "" if checks else ", quality: {enabled: false}, pii_scan: {on_undeclared: ignore}"
    return write_runner(
        workdir,
        f"""
        tenants:
          bench:
            sources:
              db:
                kind: {kind}
                url: "{url}"
                objects:
                  orders: {{query: "{table_slice(rows)}", write: replace{options}}}
        """,
    )


def _materialize(url: str, rows: int, workdir: Path, checks: bool) -> int:
    import dagster as dg

    from atlas_assets.config.loader import load_runner_config
    from atlas_assets.factory.definitions import build_definitions

    runner = runner_for(workdir, url, rows, checks)
    defs = build_definitions(*load_runner_config(runner))
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        asset_selection=[dg.AssetKey(["bench", "db", "orders"])], instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    catalog = defs.resources["iceberg_catalog"].catalog
    table = catalog.load_table(("bench", "db__orders"))
    return int(table.current_snapshot().summary["total-records"])


CONTENDERS: dict[str, Contender] = {
    "copy_devnull": postgres_copy_to_devnull,
    "cursor_drain": mysql_cursor_drain,
    "pandas_read_sql": pandas_read_sql_to_parquet,
    "ours_extract": ours_extract,
    "ours_named_cursor": ours_extract_named_cursor,
    "ours_dagster_iceberg": ours_materialize,
    "ours_dagster_iceberg_no_checks": ours_materialize_without_checks,
}
