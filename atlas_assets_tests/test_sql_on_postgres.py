"""The generic `sql` kind against the real PostgreSQL service, through Dagster into Iceberg."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from atlas_assets_tests.harness import platform


def test_the_sql_kind_ingests_a_postgres_partition_into_iceberg(tmp_path, pg_url):
    table = f"orders_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (id int PRIMARY KEY, total numeric(10,2), created_at timestamp)"))
        conn.execute(sa.text(
            f"INSERT INTO {table} SELECT g, g * 1.5, timestamp '2026-01-01' + g * interval '1 hour' "
            "FROM generate_series(0, 71) g"
        ))
    try:
        atlas = platform(tmp_path, f"""
        tenants:
          demo:
            sources:
              pg:
                kind: sql
                url: "{pg_url}"
                objects:
                  {table}: {{cursor: created_at, primary_key: [id]}}
        """)

        atlas.materialize(f"demo/pg/{table}", partition="2026-01-02")

        rows = atlas.table(f"pg__{table}")
        assert sorted(rows.column("id").to_pylist()) == list(range(24, 48))
        assert str(rows.schema.field("total").type) == "decimal128(10, 2)"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {table}"))
        engine.dispose()
