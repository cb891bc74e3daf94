"""End to end: every MySQL/MariaDB type family lands in Iceberg, through Dagster, with values equal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from atlas_assets_tests.connectors.sql.test_sql_materialize import runner_body
from atlas_assets_tests.harness import platform
from atlas_assets_tests.sql_support import Mysql, Scratch

COLUMNS = (
    "id int primary key, flag tinyint(1), tiny tinyint unsigned, big bigint, ubig bigint unsigned,"
    " amount decimal(12, 2), ratio double, name varchar(20), kind enum('a', 'b'), day date, at_time time(6),"
    " local_ts datetime(6), utc_ts timestamp(6) NULL, yr year, doc json, payload blob"
)
ROW = (
    "INSERT INTO {t} VALUES (1, 1, 255, -9000000000, 18446744073709551615, 1234567890.12, 0.25,"
    " 'é,\\\"x\\\"', 'b', '2026-01-02', '10:11:12.5', '2026-01-02 03:04:05.123456',"
    " '2026-01-02 03:04:05.654321', 2026,"
    " '{\\\"k\\\": 1}', x'00ff')"
)


def test_every_type_family_round_trips_into_iceberg(tmp_path, mysql_url):
    scratch = Scratch(mysql_url)
    try:
        table = scratch.table(COLUMNS, "SET time_zone = '+00:00'", ROW, "INSERT INTO {t} (id) VALUES (2)")
        atlas = platform(
            tmp_path, runner_body(Mysql(mysql_url), f"orders: {{table: {table}, write: replace}}")
        )

        atlas.materialize("acme/db/orders")

        rows = atlas.table("db__orders", namespace="acme").sort_by("id").to_pylist()
    finally:
        scratch.close()
    first = {k: v for k, v in rows[0].items() if not k.startswith("_atlas")}
    assert first == {
        "id": 1,
        "flag": True,
        "tiny": 255,
        "big": -9000000000,
        "ubig": Decimal("18446744073709551615"),
        "amount": Decimal("1234567890.12"),
        "ratio": 0.25,
        "name": 'é,"x"',
        "kind": "b",
        "day": dt.date(2026, 1, 2),
        "at_time": dt.time(10, 11, 12, 500000),
        "local_ts": dt.datetime(2026, 1, 2, 3, 4, 5, 123456),
        "utc_ts": dt.datetime(2026, 1, 2, 3, 4, 5, 654321, tzinfo=dt.UTC),
        "yr": 2026,
        "doc": '{"k": 1}',
        "payload": b"\x00\xff",
    }
    assert all(v is None for k, v in rows[1].items() if k != "id" and not k.startswith("_atlas"))
