"""PostgreSQL for real: the generic `sql` kind as a source, and as the Iceberg catalog's database."""

from __future__ import annotations

import uuid

import dagster as dg
import sqlalchemy as sa
from pyiceberg.catalog.sql import SqlCatalog

from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets_tests.harness import Shop, platform


def test_the_sql_kind_ingests_a_postgres_partition_into_iceberg(tmp_path, pg_url):
    table = f"orders_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(f"CREATE TABLE {table} (id int PRIMARY KEY, total numeric(10,2), created_at timestamp)")
        )
        conn.execute(
            sa.text(
                f"INSERT INTO {table} SELECT g, g * 1.5, timestamp '2026-01-01' + g * interval '1 hour' "
                "FROM generate_series(0, 71) g"
            )
        )
    try:
        atlas = platform(
            tmp_path,
            f"""
        tenants:
          demo:
            sources:
              pg:
                kind: sql
                url: "{pg_url}"
                objects:
                  {table}: {{cursor: created_at, primary_key: [id]}}
        """,
        )

        atlas.materialize(f"demo/pg/{table}", partition="2026-01-02")

        rows = atlas.table(f"pg__{table}")
        assert sorted(rows.column("id").to_pylist()) == list(range(24, 48))
        assert str(rows.schema.field("total").type) == "decimal128(10, 2)"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {table}"))
        engine.dispose()


def test_the_iceberg_catalog_can_live_in_postgres(tmp_path, pg_url, monkeypatch):
    # The URI is a secret: it reaches Dagster as dg.EnvVar("CATALOG_URL"), read when the run starts.
    monkeypatch.setenv("CATALOG_URL", pg_url)
    tenant = f"t_{uuid.uuid4().hex[:8]}"
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=2, per_day=5)
    (tmp_path / "runner.yaml").write_text(f"""
defaults:
  partitions: {{granularity: daily, start: "2026-01-01"}}
  retry: {{max_retries: 0}}
warehouse:
  catalog: {{type: sql, uri: "${{CATALOG_URL}}"}}
  location: "{tmp_path}/warehouse"
tenants:
  {tenant}:
    sources:
      shop:
        kind: sql
        url: "{shop.url}"
        objects:
          orders: {{cursor: created_at, primary_key: [id]}}
""")
    config, specs = load_runner_config(tmp_path / "runner.yaml")
    defs = build_definitions(config, specs)

    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        asset_selection=[dg.AssetKey([tenant, "shop", "orders"])],
        partition_key="2026-01-02",
        instance=dg.DagsterInstance.ephemeral(),
    )

    assert result.success
    catalog = SqlCatalog("atlas", uri=pg_url, warehouse=f"file://{tmp_path}/warehouse")
    assert catalog.load_table((tenant, "shop__orders")).scan().to_arrow().num_rows == 5
