"""End to end: every PostgreSQL type family lands in Iceberg, through Dagster, with values equal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from atlas_assets_tests.connectors.sql.test_sql_materialize import runner_body
from atlas_assets_tests.harness import platform
from atlas_assets_tests.sql_support import Postgres, Scratch

COLUMNS = (
    "id int primary key, small smallint, big bigint, amount numeric(12, 2), ratio double precision,"
    " paid boolean, name text, day date, at_time time, local_ts timestamp, utc_ts timestamptz,"
    " wait interval, ref uuid,"
    " doc jsonb, blob bytea, tags text[], scores int[]"
)
ROW = (
    "INSERT INTO {t} VALUES (1, -2, 9000000000, 1234567890.12, 0.25, true, 'é,\"x\"', '2026-01-02',"
    " '10:11:12.5', '2026-01-02 03:04:05.123456', '2026-01-02 03:04:05.654321+02', '1 day 00:00:01',"
    " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": 1}', '\\x00ff', ARRAY['a', NULL], ARRAY[1, 2])"
)


def test_every_type_family_round_trips_into_iceberg(tmp_path, pg_url):
    scratch = Scratch(pg_url)
    try:
        table = scratch.table(COLUMNS, ROW, "INSERT INTO {t} (id) VALUES (2)")
        atlas = platform(
            tmp_path, runner_body(Postgres(pg_url), f"orders: {{table: {table}, write: replace}}")
        )

        atlas.materialize("acme/db/orders")

        rows = atlas.table("db__orders", namespace="acme").sort_by("id").to_pylist()
    finally:
        scratch.close()
    first = {k: v for k, v in rows[0].items() if not k.startswith("_atlas")}
    assert first == {
        "id": 1,
        "small": -2,
        "big": 9000000000,
        "amount": Decimal("1234567890.12"),
        "ratio": 0.25,
        "paid": True,
        "name": 'é,"x"',
        "day": dt.date(2026, 1, 2),
        "at_time": dt.time(10, 11, 12, 500000),
        "local_ts": dt.datetime(2026, 1, 2, 3, 4, 5, 123456),
        "utc_ts": dt.datetime(2026, 1, 2, 1, 4, 5, 654321, tzinfo=dt.UTC),
        "wait": 86_401_000_000,  # Iceberg has no interval type: microseconds
        "ref": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "doc": '{"k": 1}',
        "blob": b"\x00\xff",
        "tags": ["a", None],
        "scores": [1, 2],
    }
    assert all(v is None for k, v in rows[1].items() if k not in ("id",) and not k.startswith("_atlas"))
