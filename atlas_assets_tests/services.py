"""Real database services for tests: URLs from the environment, skip or fail when unreachable."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

PG_URL_VAR = "ATLAS_TEST_PG_URL"
MYSQL_URL_VAR = "ATLAS_TEST_MYSQL_URL"
DEFAULT_PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
DEFAULT_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/test"

_HOW_TO_START = {
    PG_URL_VAR: "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`",
    MYSQL_URL_VAR: (
        "start it with `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`"
    ),
}


def services_required() -> bool:
    return os.environ.get("ATLAS_REQUIRE_SERVICES") == "1"


def service_url(var: str, default: str) -> str:
    """The server's URL; skips the test (or fails, under ATLAS_REQUIRE_SERVICES=1) if unreachable."""
    url = os.environ.get(var, default)
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        reason = (
            f"{sa.engine.make_url(url).render_as_string(hide_password=True)} is unreachable "
            f"({str(exc.orig).strip().splitlines()[0]}); set {var} to a reachable server or "
            f"{_HOW_TO_START[var]}"
        )
        if services_required():
            pytest.fail(f"ATLAS_REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own on the server at `server_url`, dropped afterwards; its URL."""
    from atlas_assets_tests.sql_support import unique_name

    name = unique_name(prefix)
    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        server.dispose()
