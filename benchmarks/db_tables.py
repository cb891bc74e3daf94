"""The benchmark's source tables: 12 mixed-type columns, generated server-side on PostgreSQL and MariaDB."""

from __future__ import annotations

import sqlalchemy as sa

TABLE = "atlas_bench_orders"

# id, customer_id, amount, price, qty, is_paid, status, note, created_at, updated_at, order_date, ref
_POSTGRES_DDL = f"""
CREATE TABLE {TABLE} (
    id bigint PRIMARY KEY, customer_id integer, amount numeric(12, 2), price double precision,
    qty smallint, is_paid boolean, status text, note varchar(64), created_at timestamptz,
    updated_at timestamp, order_date date, ref uuid
)"""
_POSTGRES_FILL = f"""
INSERT INTO {TABLE}
SELECT g, g % 100000, (g % 1000000) / 100.0, g * 1.5, g % 100, g % 3 = 0,
       (ARRAY['new', 'paid', 'shipped', 'void'])[g % 4 + 1], 'order note ' || g,
       timestamptz '2026-01-01' + g * interval '1 second',
       timestamp '2026-01-01' + g * interval '1 millisecond',
       date '2026-01-01' + (g % 365), md5(g::text)::uuid
FROM generate_series(1, :rows) AS g"""

_MYSQL_DDL = f"""
CREATE TABLE {TABLE} (
    id bigint PRIMARY KEY, customer_id int, amount decimal(12, 2), price double, qty smallint,
    is_paid tinyint(1), status varchar(10), note varchar(64), created_at timestamp(6) NULL,
    updated_at datetime(6), order_date date, ref char(36)
)"""
_MYSQL_FILL = f"""
INSERT INTO {TABLE}
SELECT seq, seq % 100000, (seq % 1000000) / 100.0, seq * 1.5, seq % 100, seq % 3 = 0,
       ELT(seq % 4 + 1, 'new', 'paid', 'shipped', 'void'), CONCAT('order note ', seq),
       TIMESTAMP('2026-01-01') + INTERVAL (seq % 50000000) SECOND,
       TIMESTAMP('2026-01-01') + INTERVAL seq * 1000 MICROSECOND,
       DATE('2026-01-01') + INTERVAL (seq % 365) DAY, UUID()
FROM seq_1_to_{{rows}}"""


def ensure_table(url: str, rows: int) -> None:
    """Create and fill the table unless it already holds exactly `rows` rows."""
    engine = sa.create_engine(url)
    postgres = engine.dialect.name == "postgresql"
    try:
        with engine.begin() as conn:
            if sa.inspect(conn).has_table(TABLE):
                if conn.execute(sa.text(f"SELECT count(*) FROM {TABLE}")).scalar() == rows:
                    return
                conn.execute(sa.text(f"DROP TABLE {TABLE}"))
            if not postgres:
                conn.execute(sa.text("SET time_zone = '+00:00'"))
            conn.execute(sa.text(_POSTGRES_DDL if postgres else _MYSQL_DDL))
            if postgres:
                conn.execute(sa.text(_POSTGRES_FILL), {"rows": rows})
            else:
                conn.execute(sa.text(_MYSQL_FILL.format(rows=int(rows))))
        if postgres:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text(f"VACUUM ANALYZE {TABLE}"))
    finally:
        engine.dispose()
