"""The production profile end to end: S3 warehouse, PostgreSQL catalog and instance, S3 compute logs.

One `dagster asset materialize` (as CI runs it) of the shipped demo tenant and a PostgreSQL source,
with deploy/dagster.yaml as the instance (dagster-postgres, S3ComputeLogManager) and runner.yaml's
warehouse on `ATLAS_WAREHOUSE=s3://...` through pyiceberg's FileIO, the Iceberg SQL catalog on
PostgreSQL. moto's server is the S3. The S3 secret key is a canary: it must be nowhere in clear.
"""

from __future__ import annotations

import contextlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml
from pyiceberg.catalog import Catalog, load_catalog

from atlas_assets.demo.generate import generate_demo
from atlas_assets_tests.dagster_processes import REPO, Deployment
from atlas_assets_tests.s3_server import ACCESS_KEY_ID, REGION, LocalS3
from atlas_assets_tests.services import scratch_database
from atlas_assets_tests.sql_support import Scratch, unique_name

pytestmark = pytest.mark.slow

PARTITION = "2026-01-02"
SELECTION = "demo/shop/orders,acme/app_db/orders"
SECRET_KEY = f"{unique_name('canary')}-s3-secret"
LOG_PREFIX = "dagster/compute-logs"
SUBJECT = "ada@example.com"
S3_PROPERTIES = {
    "s3.endpoint": "${ATLAS_S3_ENDPOINT}",
    "s3.access-key-id": "${ATLAS_S3_ACCESS_KEY_ID}",
    "s3.secret-access-key": "${ATLAS_S3_SECRET_ACCESS_KEY}",
    "s3.region": REGION,
}


@pytest.fixture
def catalog_pg_url(pg_url: str) -> Iterator[str]:
    with scratch_database(pg_url, "iceberg") as url:
        yield url


@pytest.fixture
def acme_orders(pg_url: str) -> Iterator[str]:
    """A PostgreSQL table of acme's orders: two on the test's partition day (one of them the GDPR
    subject's), one the day after."""
    scratch = Scratch(pg_url)
    try:
        yield scratch.table(
            "id int PRIMARY KEY, amount numeric(10,2), created_at timestamptz, customer_email text",
            "INSERT INTO {t} VALUES "
            f"(1, 9.50, '2026-01-02 08:00+00', '{SUBJECT}'), "
            "(2, 3.25, '2026-01-02 20:00+00', 'bo@example.com'), "
            f"(3, 1.00, '2026-01-03 01:00+00', '{SUBJECT}')",
        )
    finally:
        scratch.close()


def _runner_yaml(root: Path, orders_table: str) -> Path:
    """The shipped runner.yaml (its demo tenant included) with S3 properties and an acme tenant."""
    config = yaml.safe_load((REPO / "runner.yaml").read_text())
    config["warehouse"]["catalog"]["properties"] = S3_PROPERTIES
    config["tenants"]["acme"] = {
        "maintenance": {"expire_snapshots_older_than": "0s", "retain_last": 1, "cron": None},
        "sources": {
            "app_db": {
                "kind": "postgres",
                "url": "${ACME_PG_URL}",
                "objects": {
                    "orders": {
                        "table": orders_table,
                        "cursor": "created_at",
                        "primary_key": ["id"],
                        "subject_keys": {"email": "customer_email"},
                    }
                },
            }
        },
    }
    path = root / "runner.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@dataclass
class S3Deployment:
    """A deployment on deploy/dagster.yaml whose warehouse, catalog and logs are the production kind."""

    deployment: Deployment
    local_s3: LocalS3
    warehouse_bucket: str
    log_bucket: str
    catalog_url: str

    def catalog(self) -> Catalog:
        return load_catalog(
            "atlas",
            type="sql",
            uri=self.catalog_url,
            **{
                "s3.endpoint": self.local_s3.endpoint,
                "s3.access-key-id": ACCESS_KEY_ID,
                "s3.secret-access-key": SECRET_KEY,
                "s3.region": REGION,
            },
        )

    def data_files(self, namespace: str) -> list[str]:
        return [
            key
            for key in self.local_s3.keys(self.warehouse_bucket, f"warehouse/{namespace}/")
            if key.endswith(".parquet")
        ]


@pytest.fixture
def s3_deployment(
    tmp_path, pg_url, dagster_pg_url, catalog_pg_url, acme_orders, local_s3: LocalS3
) -> S3Deployment:
    warehouse_bucket = local_s3.create_bucket(unique_name("warehouse").replace("_", "-"))
    log_bucket = local_s3.create_bucket(unique_name("logs").replace("_", "-"))
    generate_demo(tmp_path / ".atlas" / "demo")
    environment = {
        **local_s3.env(secret_access_key=SECRET_KEY),
        "ATLAS_DAGSTER_PG_URL": dagster_pg_url,
        "ATLAS_COMPUTE_LOG_BUCKET": log_bucket,
        "ATLAS_ECS_CLUSTER": "atlas",
        "ATLAS_CATALOG_URI": catalog_pg_url,
        "ATLAS_WAREHOUSE": f"s3://{warehouse_bucket}/warehouse",
        "ATLAS_S3_ENDPOINT": local_s3.endpoint,
        "ATLAS_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "ATLAS_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "ACME_PG_URL": pg_url,
    }
    deployment = Deployment.create(
        tmp_path, _runner_yaml(tmp_path, acme_orders), environment, REPO / "deploy" / "dagster.yaml"
    )
    return S3Deployment(deployment, local_s3, warehouse_bucket, log_bucket, catalog_pg_url)


def test_one_run_writes_the_demo_and_a_postgres_source_to_s3_with_logs_in_s3_and_no_secret_in_clear(
    s3_deployment: S3Deployment, dagster_pg_url, catalog_pg_url, local_s3: LocalS3
):
    deployment = s3_deployment.deployment
    warehouse_bucket, log_bucket = s3_deployment.warehouse_bucket, s3_deployment.log_bucket

    completed = deployment.materialize(SELECTION, "--partition", PARTITION)

    assert completed.returncode == 0, completed.stderr[-4000:]
    catalog = s3_deployment.catalog()
    acme = catalog.load_table(("acme", "app_db__orders"))
    assert acme.location().startswith(f"s3://{warehouse_bucket}/warehouse/")
    assert sorted(acme.scan().to_arrow().column("id").to_pylist()) == [1, 2]
    demo_orders = catalog.load_table(("demo", "shop__orders")).scan().to_arrow()
    assert demo_orders.num_rows > 0
    assert s3_deployment.data_files("acme")
    assert s3_deployment.data_files("demo")

    with deployment.instance() as instance:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        event = instance.get_latest_materialization_event(dg.AssetKey(["acme", "app_db", "orders"]))
        assert event is not None
        assert event.asset_materialization.partition == PARTITION
    log_keys = local_s3.keys(log_bucket, LOG_PREFIX)
    step_logs = [local_s3.read(log_bucket, key).decode() for key in log_keys if key.endswith(".err")]
    # One stderr file per step process, each holding that step's own log lines.
    assert len(step_logs) == 2, log_keys
    assert any("acme__app_db__orders" in text and "STEP_SUCCESS" in text for text in step_logs), step_logs

    places = [*_stored_text(dagster_pg_url, catalog_pg_url), completed.stdout, completed.stderr]
    places += step_logs
    places += [
        local_s3.read(warehouse_bucket, key).decode(errors="replace")
        for key in local_s3.keys(warehouse_bucket)
        if key.endswith(".json")
    ]
    assert not [text for text in places if SECRET_KEY in text]


def test_maintenance_on_the_s3_warehouse_deletes_the_files_of_expired_snapshots(s3_deployment: S3Deployment):
    deployment = s3_deployment.deployment
    for _ in range(2):  # the second run replaces the window's file
        completed = deployment.materialize("acme/app_db/orders", "--partition", PARTITION)
        assert completed.returncode == 0, completed.stderr[-4000:]
    assert len(s3_deployment.data_files("acme")) == 2

    completed = deployment.execute_job("acme_maintenance")

    assert completed.returncode == 0, completed.stderr[-4000:]
    table = s3_deployment.catalog().load_table(("acme", "app_db__orders"))
    assert sorted(table.scan().to_arrow().column("id").to_pylist()) == [1, 2]
    assert len(table.metadata.snapshots) == 1
    (kept,) = s3_deployment.data_files("acme")
    assert [task.file.file_path for task in table.scan().plan_files()] == [
        f"s3://{s3_deployment.warehouse_bucket}/{kept}"
    ]


def test_a_gdpr_erase_on_the_s3_warehouse_removes_the_subject_now_and_its_old_files_after_maintenance(
    s3_deployment: S3Deployment, tmp_path
):
    deployment = s3_deployment.deployment
    completed = deployment.materialize("acme/app_db/orders", "--partition", PARTITION)
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert any(SUBJECT in _emails(s3_deployment, key) for key in s3_deployment.data_files("acme"))
    # The README's run config: the subject through an environment variable, not in run config.
    run_config = tmp_path / "erase.yaml"
    run_config.write_text(
        yaml.safe_dump(
            {
                "ops": {
                    "erase_subject": {
                        "config": {"tenant": "acme", "key": "email", "subject_env_var": "ERASE_SUBJECT"}
                    }
                }
            }
        )
    )
    deployment.environment.update({"ERASE_SUBJECT": "Ada@Example.com", "ATLAS_GDPR_SALT": "s3-test-salt"})

    erased = deployment.execute_job("gdpr_erase", "-c", str(run_config))

    assert erased.returncode == 0, erased.stderr[-4000:]
    table = s3_deployment.catalog().load_table(("acme", "app_db__orders"))
    assert sorted(table.scan().to_arrow().column("id").to_pylist()) == [2]
    # The delete is logical: an older snapshot, and its file in the bucket, still hold the subject.
    assert any(SUBJECT in _emails(s3_deployment, key) for key in s3_deployment.data_files("acme"))

    maintained = deployment.execute_job("acme_maintenance")

    assert maintained.returncode == 0, maintained.stderr[-4000:]
    table = s3_deployment.catalog().load_table(("acme", "app_db__orders"))
    assert sorted(table.scan().to_arrow().column("id").to_pylist()) == [2]
    assert len(table.metadata.snapshots) == 1
    remaining = s3_deployment.data_files("acme")
    assert remaining
    assert [key for key in remaining if SUBJECT in _emails(s3_deployment, key)] == []


def _emails(s3_deployment: S3Deployment, key: str) -> list[str]:
    """The customer emails a data file in the warehouse bucket holds (empty for other tables' files)."""
    import pyarrow.parquet as pq

    data = pq.read_table(io.BytesIO(s3_deployment.local_s3.read(s3_deployment.warehouse_bucket, key)))
    return data.column("customer_email").to_pylist() if "customer_email" in data.column_names else []


def _stored_text(*database_urls: str) -> list[str]:
    """Every text and (zlib-inflated) binary cell of every table in the databases."""
    texts: list[str] = []
    for url in database_urls:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                    texts += [_cell_text(cell) for cell in row if cell is not None]
        engine.dispose()
    return texts


def _cell_text(cell: object) -> str:
    if isinstance(cell, bytes | memoryview):
        raw = bytes(cell)
        with contextlib.suppress(zlib.error):
            raw = zlib.decompress(raw)
        return raw.decode(errors="replace")
    return str(cell)
