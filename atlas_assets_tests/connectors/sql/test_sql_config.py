"""runner.yaml for `kind: postgres` and `kind: mysql`: validation, secrets, driver options, resources."""

from __future__ import annotations

import textwrap
import time

import dagster as dg
import pytest
import sqlalchemy as sa

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.connectors.sql.generic import SqlResource
from atlas_assets.connectors.sql.mysql.resource import MysqlResource
from atlas_assets.connectors.sql.postgres.resource import PostgresResource


def source_config(source: str, env: dict[str, str] | None = None):
    """The single source of a runner.yaml whose `db` source is `source` (YAML, indented freely)."""
    text = textwrap.dedent("""
        defaults:
          partitions: {start: "2026-01-01"}
        tenants:
          acme:
            sources:
              db:
        """) + textwrap.indent(textwrap.dedent(source), " " * 8)
    config, _ = parse_runner_config(text, "runner.yaml", env or {})
    return config.tenants["acme"].sources["db"]


def config_problems(source: str) -> str:
    with pytest.raises(RunnerConfigError) as failure:
        source_config(source)
    return str(failure.value)


def test_a_postgres_source_by_host_builds_a_resource_that_expands_its_password_at_run_time():
    config = source_config(
        """
        kind: postgres
        host: db.acme.internal
        database: app
        user: loader
        password: "${ACME_PG_PASSWORD}"
        objects: [orders]
        """,
        env={"ACME_PG_PASSWORD": "hunter22"},
    )

    resource = config.build_resource()

    assert isinstance(resource, PostgresResource)
    assert resource.password == "${ACME_PG_PASSWORD}"
    assert resource.connection_url().port == 5432


def test_a_mysql_source_by_url_builds_a_mysql_resource_speaking_pymysql():
    config = source_config(
        """
        kind: mysql
        url: "mysql://loader:pw@db:3307/shop"
        objects: [orders]
        """
    )

    resource = config.build_resource()

    assert isinstance(resource, MysqlResource)
    assert resource.connection_url().drivername == "mysql+pymysql"
    assert resource.connection_url().port == 3307
    assert resource.dataset_namespace() == "mysql://db:3307"


def test_url_and_host_together_are_one_problem_naming_the_source():
    problems = config_problems(
        """
        kind: postgres
        url: "postgresql://db/app"
        host: db
        objects: [orders]
        """
    )

    assert "tenants.acme.sources.db" in problems
    assert "either 'url' or host" in problems


def test_neither_url_nor_host_is_a_problem():
    assert "give either 'url' or 'host'" in config_problems("kind: mysql\nobjects: [orders]\n")


def test_an_unknown_sslmode_is_a_problem_naming_the_key():
    problems = config_problems("kind: postgres\nhost: db\nsslmode: sometimes\nobjects: [orders]\n")

    assert "sslmode" in problems


def test_postgres_timeouts_and_tls_become_libpq_options():
    config = source_config(
        """
        kind: postgres
        host: db
        sslmode: verify-full
        ssl_ca: /etc/ssl/ca.pem
        connect_timeout: 5s
        statement_timeout: 2m
        objects: [orders]
        """
    )

    args = config.build_resource().connect_args()

    assert args["sslmode"] == "verify-full"
    assert args["sslrootcert"] == "/etc/ssl/ca.pem"
    assert args["connect_timeout"] == 5
    assert "-c statement_timeout=120000" in args["options"]
    assert "-c TimeZone=UTC" in args["options"]


def test_mysql_tls_modes_map_to_pymysql_ssl_options():
    config = source_config("kind: mysql\nhost: db\nsslmode: verify-ca\nssl_ca: /ca.pem\nobjects: [orders]\n")

    ssl = config.build_resource().connect_args()["ssl"]

    assert ssl == {"check_hostname": False, "verify_mode": True, "ca": "/ca.pem"}


def test_the_dataset_namespace_never_holds_credentials():
    config = source_config("kind: postgres\nurl: 'postgresql://u:hunter22@db:6543/app'\nobjects: [orders]\n")

    assert config.build_resource().dataset_namespace() == "postgresql://db:6543"


def test_check_connection_works_from_runner_yaml_against_the_real_server(pg_url, monkeypatch):
    url = sa.engine.make_url(pg_url)
    monkeypatch.setenv("ACME_TEST_PG_PASSWORD", url.password or "")
    config = source_config(
        f"""
        kind: postgres
        host: "{url.host}"
        port: {url.port or 5432}
        database: {url.database}
        user: {url.username}
        password: "${{ACME_TEST_PG_PASSWORD}}"
        objects: [orders]
        """,
        env={"ACME_TEST_PG_PASSWORD": url.password or ""},
    )
    resource = config.build_resource()

    with dg.build_resources({"db": resource}) as resources:
        resources.db.check_connection()


def test_check_connection_works_for_mysql_from_runner_yaml(mysql_url):
    config = source_config(f"kind: mysql\nurl: '{mysql_url}'\nobjects: [orders]\n")

    with dg.build_resources({"db": config.build_resource()}) as resources:
        resources.db.check_connection()


def test_pooled_connections_are_closed_when_the_resource_is_torn_down(pg_url):
    config = source_config(f"kind: postgres\nurl: '{pg_url}'\nobjects: [orders]\n")
    with dg.build_resources({"db": config.build_resource()}) as resources:
        with resources.db.engine().connect() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        observer = sa.create_engine(pg_url)
        alive = "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"
        with observer.connect() as watch:
            assert watch.execute(sa.text(alive), {"pid": pid}).scalar() == 1  # pooled, still open

    deadline = time.monotonic() + 5
    with observer.connect() as watch:
        while watch.execute(sa.text(alive), {"pid": pid}).scalar() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watch.execute(sa.text(alive), {"pid": pid}).scalar() == 0
    observer.dispose()


def test_the_generic_sql_lineage_namespace_carries_no_credentials():
    resource = SqlResource(url="postgresql+psycopg2://atlas:pw@db.example:5432/shop?sslmode=require")

    assert resource.dataset_namespace() == "postgresql+psycopg2://db.example:5432/shop"
